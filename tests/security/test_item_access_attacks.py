"""Masked and verify-only grants tried as an attacker would (R3, R14, R22): values hidden by a grant
do not come out of quality reports, downloads, change feeds or the portal; verification without
a grant, of not-shared items, beyond its size or by an oversized upload is refused and recorded."""

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from exchange.audit.chain import Outcome
from exchange.audit.models import AuditRecord
from exchange.identity.roles import Role
from policies import requests
from policies.models import DataUsage
from policies.requests import RequestDraft
from policies.vocab import ItemAccess, Purpose, SharingMode
from quality.disclosure import WITHHELD
from tests.catalog_fixtures import CatalogWorld
from tests.factories import make_token, make_user
from tests.scenarios.data import publish_with_data
from tests.scenarios.item_access import VERIFY_PURPOSE, granted, person_rows, publish_persons
from tests.scenarios.people import bearer, sign_in
from tests.scenarios.requests import act
from tests.security.test_reports import (
    LEFT_SECRET,
    RIGHT_SECRET,
    two_departments_compared,
    values_seen,
)

CLEAR = person_rows()


def test_r22_masked_or_verify_grants_do_not_open_values_in_quality_reports(
    client: TestClient, world: CatalogWorld
) -> None:
    run_id, left, _ = two_departments_compared(world)
    consumer = bearer(world, "consumer")
    key = "91440300MA50000001"
    for access in (ItemAccess.MASKED, ItemAccess.VERIFY):
        request_id = requests_for(world, left, access)
        act(world, "data_reviewer", requests.approve, request_id=request_id)
        assert values_seen(client, run_id, consumer) == (key, WITHHELD, RIGHT_SECRET)
    # Opened whole, the value shows.
    act(world, "data_reviewer", requests.approve, request_id=requests_for(world, left, "read"))
    assert values_seen(client, run_id, consumer) == (key, LEFT_SECRET, RIGHT_SECRET)


def requests_for(world: CatalogWorld, code: str, access: str) -> int:
    """The consumer asks for the register's legal representative, used as ``access`` says."""
    with world.platform.database.transaction() as session:
        return requests.file_request(
            session,
            actor=world.actor("consumer"),
            env=world.platform.workflow_environment(session),
            draft=RequestDraft(
                code=code, items=["legal_representative"], purpose_code=Purpose.SUPERVISION,
                purpose="核对", duty_basis="《市场主体登记管理条例》", mode=SharingMode.API_QUERY,
                period_from=date(2026, 1, 1), period_to=date(2027, 1, 1),
                access={"legal_representative": ItemAccess(access)},
            ),
        ).id  # fmt: skip


def test_r14_verify_only_items_are_served_by_no_mode(
    world: CatalogWorld, client: TestClient
) -> None:
    code = publish_persons(world)
    consumer = bearer(world, "consumer")
    verify_only = {"id_number": ItemAccess.VERIFY, "name": ItemAccess.VERIFY}
    for mode in SharingMode:
        granted(world, code, verify_only, mode=mode)
    params = {"purpose": "核对", "columns": "id_number,name"}
    assert (
        client.get(f"/api/v1/data/{code}/rows", params=params, headers=consumer).status_code == 403
    )
    assert client.get(f"/api/v1/data/{code}/download", params=params,
                      headers=consumer).status_code == 403  # fmt: skip
    feed = client.get(f"/api/v1/data/{code}/changes", params={**params, "since_snapshot": "1"},
                      headers=consumer)  # fmt: skip
    assert feed.status_code == 403
    # Without naming items, a read gets only what it may read: the unconditional district.
    everything = client.get(
        f"/api/v1/data/{code}/rows", params={"purpose": "核对"}, headers=consumer
    )
    assert everything.status_code == 200
    assert everything.json()["items"] == ["district"]
    preview = client.get(f"/data/{code}", params={"purpose": "核对"})
    assert CLEAR["name"][0].as_py() not in preview.text


def test_r14_verification_without_a_grant_beyond_its_size_or_of_unshared_items_is_refused(
    world: CatalogWorld, client: TestClient
) -> None:
    persons = publish_persons(world)
    enterprises = publish_with_data(world)
    consumer = bearer(world, "consumer")
    ids, names = CLEAR["id_number"].to_pylist(), CLEAR["name"].to_pylist()
    claim = {"purpose": VERIFY_PURPOSE, "records": [{"id_number": ids[0], "name": names[0]}]}

    # No grant: refused, and the refusal is on the record.
    none = client.post(f"/api/v1/data/{persons}/verify", json=claim, headers=consumer)
    assert none.status_code == 403
    # A not-shared item is not verified either, whatever grants exist.
    unshared = client.post(
        f"/api/v1/data/{enterprises}/verify",
        json={"purpose": VERIFY_PURPOSE,
              "records": [{"uscc": "91440300MA50000001", "id_number": "440300199001010001"}]},
        headers=consumer,
    )  # fmt: skip
    assert unshared.status_code == 403
    assert unshared.json()["detail"]["not_granted"] == ["id_number"]

    granted(world, persons, {"id_number": ItemAccess.VERIFY, "name": ItemAccess.VERIFY})
    most = world.platform.settings.verify_max_records
    flood = {"purpose": VERIFY_PURPOSE,
             "records": [{"id_number": str(i), "name": "x"} for i in range(most + 1)]}  # fmt: skip
    assert client.post(f"/api/v1/data/{persons}/verify", json=flood,
                       headers=consumer).status_code == 400  # fmt: skip
    # Another department's staff, with no grant of their own, cannot ride on this one.
    with world.platform.database.transaction() as session:
        stranger = make_user(session, world.platform, world.bureau, Role.CONSUMER)
        stranger_headers = {
            "Authorization": f"Bearer {make_token(session, world.platform, stranger)}"
        }
    assert client.post(f"/api/v1/data/{persons}/verify", json=claim,
                       headers=stranger_headers).status_code == 403  # fmt: skip

    # The portal's upload: too large, or not a spreadsheet, is refused before it is read through.
    token = sign_in(client, world, world.consumer_department, Role.CONSUMER)
    huge = client.post(
        f"/data/{persons}/verify",
        data={"csrf_token": token, "purpose": VERIFY_PURPOSE},
        files={"file": ("claims.csv", b"id_number,name\n" + b"1,x\n" * 2_000_000, "text/csv")},
    )
    assert huge.status_code == 400
    assert "5 MB" in huge.text
    wrong = client.post(
        f"/data/{persons}/verify",
        data={"csrf_token": token, "purpose": VERIFY_PURPOSE},
        files={"file": ("../../etc/passwd", b"root:x:0:0", "text/plain")},
    )
    assert wrong.status_code == 400
    with world.platform.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(DataUsage)) == 0
        refusals = session.scalar(
            select(func.count())
            .select_from(AuditRecord)
            .where(AuditRecord.outcome == Outcome.DENIED)
        )
        assert refusals >= 3
