"""Disputes in the portal: the consumer disputes a narrowing from the request's page, the
coordinating office grants from its queue; another department's consumer cannot dispute; the
provider sees the use of its data."""

from fastapi.testclient import TestClient
from sqlalchemy import select

from exchange.identity.roles import Role
from policies import requests
from policies.models import Dispute, Grant
from tests.catalog_fixtures import CatalogWorld
from tests.scenarios.people import sign_in
from tests.scenarios.requests import act, file, publish


def test_a_narrowing_is_disputed_and_the_coordinating_office_grants(
    world: CatalogWorld, client: TestClient
) -> None:
    code = publish(world)
    request_id = file(world, code)
    act(world, "data_reviewer", requests.approve, request_id=request_id, items=["phone"])

    outsider = sign_in(client, world, world.bureau, Role.CONSUMER)
    assert client.get(f"/access/requests/{request_id}").status_code == 404
    refused = client.post(f"/access/requests/{request_id}/dispute",
                          data={"csrf_token": outsider, "ground": "需要"})  # fmt: skip
    assert refused.status_code == 404

    token = sign_in(client, world, world.consumer_department, Role.CONSUMER)
    page = client.get(f"/access/requests/{request_id}")
    assert "对决定提出异议" in page.text  # a narrowed approval may be disputed
    client.post(f"/access/requests/{request_id}/dispute",
                data={"csrf_token": token, "ground": "核验法定代表人身份必须使用该信息项"})  # fmt: skip

    office = sign_in(client, world, world.bureau, Role.COORDINATING_OFFICE)
    queue = client.get("/access/disputes")
    assert "核验法定代表人身份必须使用该信息项" in queue.text
    with world.platform.database.transaction() as session:
        dispute_id = session.scalars(select(Dispute.id)).one()
    client.post(f"/access/disputes/{dispute_id}/rule", data={
        "csrf_token": office, "outcome": "grant", "items": ["legal_representative"], "note": "属履职必需",
    })  # fmt: skip
    with world.platform.database.transaction() as session:
        granted = session.scalars(select(Grant).where(Grant.request_id == request_id)).all()
        assert sorted(item for grant in granted for item in grant.items) == [
            "legal_representative",
            "phone",
        ]
        assert session.get_one(Dispute, dispute_id).state == "granted"

    sign_in(client, world, world.provider, Role.DATA_REVIEWER)
    assert client.get("/access/usage").status_code == 200


def test_the_confidentiality_review_opens_access_from_the_request_page(
    world: CatalogWorld, client: TestClient
) -> None:
    code = publish(world, sensitive=True)
    request_id = file(world, code)
    act(world, "data_reviewer", requests.approve, request_id=request_id)
    reviewer = sign_in(client, world, world.provider, Role.DATA_REVIEWER)
    assert (
        "审查通过，开放调用" not in client.get(f"/access/requests/{request_id}").text
    )  # not theirs
    refused = client.post(f"/access/requests/{request_id}/review",
                          data={"csrf_token": reviewer, "cleared": "yes", "note": "可以"})  # fmt: skip
    assert "可执行的角色" in refused.text  # the refusal, in the reader's language
    admin = sign_in(client, world, world.provider, Role.DATA_RESOURCE_ADMIN)
    page = client.post(f"/access/requests/{request_id}/review",
                       data={"csrf_token": admin, "cleared": "yes", "note": "已完成保密审查"})  # fmt: skip
    assert "已同意" in page.text
    with world.platform.database.transaction() as session:
        assert session.scalars(select(Grant).where(Grant.request_id == request_id)).one()
