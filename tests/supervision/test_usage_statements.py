"""Usage statements (R17): a month's reads under a grant are summed into its statement (checked
against the usage records), the consuming department confirms it once, the provider sees it, and
nobody else can confirm it."""

from fastapi.testclient import TestClient
from sqlalchemy import select

from exchange.clock import FrozenClock
from policies import requests
from policies.models import DataUsage
from tests.catalog_fixtures import CatalogWorld
from tests.conftest import local
from tests.scenarios.data import write
from tests.scenarios.people import bearer
from tests.scenarios.requests import act, file, publish


def test_r17_a_months_reads_become_a_statement_the_consumer_confirms_and_the_provider_sees(
    world: CatalogWorld, clock: FrozenClock, client: TestClient
) -> None:
    clock.set(local(2026, 11, 2, 10, 0))
    code = publish(world)
    write(world, code, 20, run_key="first")
    act(world, "data_reviewer", requests.approve, request_id=file(world, code))
    consumer = bearer(world, "consumer")
    for purpose, limit in (("核验企业法定代表人", 4), ("核验企业法定代表人身份", 6)):
        client.get(f"/api/v1/data/{code}/rows", headers=consumer,
                   params={"purpose": purpose, "columns": "uscc,legal_representative", "limit": limit})  # fmt: skip
    clock.set(local(2026, 12, 1, 10, 0))
    client.get(f"/api/v1/data/{code}/rows", headers=consumer,
               params={"purpose": "核验企业法定代表人", "columns": "uscc,phone", "limit": 1})  # next month  # fmt: skip

    admin = bearer(world, "admin")
    made = client.post("/api/v1/supervision/usage-statements/generate", params={"period": "2026-11"},
                       headers=admin).json()  # fmt: skip
    assert made["statements"] == 1
    [statement] = client.get("/api/v1/supervision/usage-statements", headers=consumer).json()
    start, end = local(2026, 11, 1, 0, 0), local(2026, 12, 1, 0, 0)
    with world.platform.database.transaction() as session:
        usage = session.scalars(
            select(DataUsage).where(
                DataUsage.grant_id.is_not(None), DataUsage.at >= start, DataUsage.at < end
            )
        ).all()
    assert (
        (statement["reads"], statement["rows"])
        == (len(usage), sum(u.rows for u in usage))
        == (2, 10)
    )
    assert statement["items"] == ["legal_representative", "uscc"]

    provider = bearer(world, "data_reviewer")
    assert client.post(f"/api/v1/supervision/usage-statements/{statement['id']}/confirm", json={},
                       headers=provider).status_code == 404  # not the provider's to confirm  # fmt: skip
    confirmed = client.post(f"/api/v1/supervision/usage-statements/{statement['id']}/confirm",
                            json={"note": "用于行政审批核验"}, headers=consumer)  # fmt: skip
    assert confirmed.status_code == 200
    again = client.post(f"/api/v1/supervision/usage-statements/{statement['id']}/confirm", json={},
                        headers=consumer)  # fmt: skip
    assert again.status_code == 409
    seen = client.get("/api/v1/supervision/usage-statements", params={"side": "provider"},
                      headers=provider).json()  # fmt: skip
    assert [(s["id"], s["note"]) for s in seen] == [(statement["id"], "用于行政审批核验")]
    client.post("/api/v1/supervision/usage-statements/generate", params={"period": "2026-11"},
                headers=admin)  # fmt: skip
    [unchanged] = client.get("/api/v1/supervision/usage-statements", headers=consumer).json()
    assert unchanged == confirmed.json()  # a confirmed statement no longer changes
