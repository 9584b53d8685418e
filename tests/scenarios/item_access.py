"""A register of persons whose conditional items are shared masked or for verification only."""

from datetime import date, timedelta

import pyarrow as pa
from sqlalchemy import select

from catalog.schemas import EntryDraft, ItemDraft
from exchange.store import UnifiedStore
from policies import requests
from policies.models import Grant
from policies.requests import RequestDraft
from policies.vocab import ItemAccess, Purpose, SharingMode
from tests.catalog_fixtures import CatalogWorld, publish_entry
from tests.scenarios.requests import act

PERSONS = 40
VERIFY_PURPOSE = "核验低保申请人身份"


def person_register() -> EntryDraft:
    def conditional(name: str, label: str, data_type: str, **more: object) -> ItemDraft:
        return ItemDraft.model_validate(
            {"name": name, "label": label, "data_type": data_type,
             "share_type": "conditional", "share_condition": "仅用于社会救助审核", **more}
        )  # fmt: skip

    return EntryDraft.model_validate(
        {
            "name": "户籍人口基本信息",
            "classification_code": "201",
            "abstract": "本市户籍人口的身份、出生日期、收入与联系方式。",
            "update_cycle": "daily",
            "items": [
                conditional("id_number", "公民身份号码", "string", length=18, required=True,
                            is_key=True, masking="keep:4:4", sensitivity="sensitive"),
                conditional("name", "姓名", "string", length=50, masking="pseudonym"),
                conditional("birth_date", "出生日期", "date"),
                conditional("income", "月收入", "decimal", length=12, precision=2,
                            masking="range:1000"),
                conditional("phone", "联系电话", "string", length=11, masking="keep:3:4"),
                ItemDraft(name="district", label="所属区", data_type="string", length=20,
                          share_type="unconditional"),
            ],
        }
    )  # fmt: skip


def person_rows(count: int = PERSONS, *, renamed: int | None = None) -> pa.Table:
    """``renamed``: one person whose name changed, for a second snapshot."""
    names = [f"王{i:02d}明" for i in range(count)]
    if renamed is not None:
        names[renamed] = f"王{renamed:02d}华"
    return pa.table(
        {
            "id_number": [f"42010219{80 + i % 20:02d}0101{i:04d}" for i in range(count)],
            "name": names,
            "birth_date": pa.array(
                [date(1980 + i % 20, 1 + i % 12, 1 + i % 28) for i in range(count)], pa.date32()
            ),
            "income": pa.array([2500.0 + 137.5 * i for i in range(count)], pa.float64()),
            "phone": [f"1390000{i:04d}" for i in range(count)],
            "district": ["江岸区" if i % 2 else "武昌区" for i in range(count)],
        }
    )


def publish_persons(world: CatalogWorld) -> str:
    code = publish_entry(world, person_register())
    store_persons(world, code, person_rows(), run_key="first")
    return code


def store_persons(world: CatalogWorld, code: str, table: pa.Table, *, run_key: str) -> int:
    return UnifiedStore(world.platform.settings).write(
        code, table, overwrite=True, run_key=run_key, properties={}
    )


def ask(
    world: CatalogWorld,
    code: str,
    access: dict[str, ItemAccess],
    items: list[str] | None = None,
    mode: SharingMode = SharingMode.API_QUERY,
) -> int:
    """The consumer files a request for ``items`` (by default those in ``access``)."""
    today = world.platform.clock.now().date()
    draft = RequestDraft(
        code=code,
        items=items or list(access),
        purpose_code=Purpose.SOCIAL_SECURITY,
        purpose=VERIFY_PURPOSE,
        duty_basis="《社会救助暂行办法》第十一条",
        mode=mode,
        period_from=today - timedelta(days=1),
        period_to=today + timedelta(days=365),
        access=access,
    )
    with world.platform.database.transaction() as session:
        return requests.file_request(
            session,
            actor=world.actor("consumer"),
            env=world.platform.workflow_environment(session),
            draft=draft,
        ).id


def granted(
    world: CatalogWorld,
    code: str,
    access: dict[str, ItemAccess],
    mode: SharingMode = SharingMode.API_QUERY,
    **approval: object,
) -> int:
    """A request for ``access`` approved as asked (or as ``approval`` narrows it); the grant's id."""
    request_id = ask(world, code, access, mode=mode)
    act(world, "data_reviewer", requests.approve, request_id=request_id, **approval)
    with world.platform.database.transaction() as session:
        return session.scalars(
            select(Grant.id).where(Grant.request_id == request_id, Grant.revoked_at.is_(None))
        ).one()


MASKED = {
    "id_number": ItemAccess.MASKED,
    "name": ItemAccess.MASKED,
    "birth_date": ItemAccess.MASKED,
    "income": ItemAccess.MASKED,
    "phone": ItemAccess.MASKED,
}
VERIFY = {"id_number": ItemAccess.VERIFY, "name": ItemAccess.VERIFY}
