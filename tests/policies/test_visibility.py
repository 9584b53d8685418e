"""Who sees every department's records is written once (exchange.identity.visibility), so the API
and the portal agree (R16, R22): an auditor sees every dispute and quality issue through both, a
department only its own through both, and a department with no part in it sees nothing."""

from fastapi.testclient import TestClient
from sqlalchemy import select

from exchange.identity.roles import Role
from exchange.identity.visibility import OVERSIGHT, Records, own_only, sees_all
from policies import disputes, requests
from policies.models import Dispute
from tests.catalog_fixtures import CatalogWorld
from tests.factories import make_department, make_user
from tests.scenarios.people import bearer, sign_in
from tests.scenarios.requests import act, file, publish


def a_dispute(world: CatalogWorld) -> int:
    code = publish(world)
    request_id = file(world, code)
    act(world, "data_reviewer", requests.approve, request_id=request_id, items=["phone"])
    act(world, "consumer", disputes.open_dispute, request_id=request_id, ground="需要全部信息项")
    with world.platform.database.transaction() as session:
        return session.scalars(select(Dispute.id)).one()


def test_r16_an_auditor_sees_every_dispute_through_the_api_and_the_portal_alike(
    world: CatalogWorld, client: TestClient
) -> None:
    dispute_id = a_dispute(world)
    with world.platform.database.transaction() as session:
        auditor = make_user(session, world.platform, world.bureau, Role.AUDITOR)
        outsider_department = make_department(session, world.platform)
        outsider = make_user(session, world.platform, outsider_department, Role.CONSUMER)
        world.users |= {"auditor": auditor.id, "outsider": outsider.id}
    listed = client.get(
        "/api/v1/access/disputes", params={"state": ""}, headers=bearer(world, "auditor")
    ).json()
    assert [d["id"] for d in listed] == [dispute_id]
    sign_in(client, world, world.bureau, Role.AUDITOR)
    assert "需要全部信息项" in client.get("/access/disputes").text

    # A department with no part in the request sees it neither way.
    none = client.get(
        "/api/v1/access/disputes", params={"state": ""}, headers=bearer(world, "outsider")
    ).json()
    assert none == []
    sign_in(client, world, outsider_department, Role.CONSUMER)
    assert "需要全部信息项" not in client.get("/access/disputes").text
    # The requesting department sees its own dispute both ways.
    assert len(client.get("/api/v1/access/disputes", params={"state": ""},
                          headers=bearer(world, "consumer")).json()) == 1  # fmt: skip
    sign_in(client, world, world.consumer_department, Role.CONSUMER)
    assert "需要全部信息项" in client.get("/access/disputes").text


def test_r22_every_kind_of_record_has_its_oversight_roles_and_no_one_else_sees_all(
    world: CatalogWorld,
) -> None:
    consumer, steward = world.actor("consumer"), world.actor("steward")
    for records in Records:
        assert OVERSIGHT[records]  # written down for every kind
        assert not sees_all(consumer, records)
        assert own_only(consumer, records, Dispute.id) is not None
    assert sees_all(steward, Records.QUALITY_ISSUE)
    assert not sees_all(steward, Records.DISPUTE)  # a steward rules on data, not on disputes
