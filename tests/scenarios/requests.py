"""Access requests: a published register with conditional and not-shared items, a request filed and acted on."""

from datetime import date

from catalog.schemas import ItemDraft
from policies import requests
from policies.requests import RequestDraft
from policies.vocab import Purpose, SharingMode
from tests.catalog_fixtures import CatalogWorld, enterprise_register, publish_entry

LAW = "《中华人民共和国个人信息保护法》第二十八条"


def publish(world: CatalogWorld, *, sensitive: bool = False) -> str:
    draft = enterprise_register(sensitive=sensitive)
    draft.items += [
        ItemDraft(
            name="phone",
            label="联系电话",
            data_type="string",
            length=20,
            share_type="conditional",
            share_condition="仅用于行政审批",
        ),
        ItemDraft(
            name="id_number",
            label="法定代表人身份证号",
            data_type="string",
            length=18,
            share_type="not_shared",
            legal_basis=LAW,
            sensitivity="sensitive",
        ),
    ]
    return publish_entry(world, draft)


def request_draft(code: str, items: list[str] | None = None) -> RequestDraft:
    return RequestDraft(
        code=code,
        items=items or ["legal_representative", "phone"],
        purpose_code=Purpose.ADMINISTRATIVE_APPROVAL,
        purpose="核验企业法定代表人",
        duty_basis="《社会保险法》第五十七条",
        mode=SharingMode.API_QUERY,
        period_from=date(2026, 9, 1),
        period_to=date(2027, 9, 30),
    )


def file(
    world: CatalogWorld, code: str, items: list[str] | None = None, who: str = "consumer"
) -> int:
    with world.platform.database.transaction() as session:
        return requests.file_request(
            session,
            actor=world.actor(who),
            env=world.platform.workflow_environment(session),
            draft=request_draft(code, items),
        ).id


def act(world: CatalogWorld, who: str, function, **kwargs):  # type: ignore[no-untyped-def]
    with world.platform.database.transaction() as session:
        return function(
            session,
            actor=world.actor(who),
            env=world.platform.workflow_environment(session),
            **kwargs,
        )
