"""The violations register: each kind of finding is detected from the records it rests on, once
however often detection runs, and the bureau decides each with a reason."""

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select

from catalog.tasks import open_update_task
from exchange.audit.models import AuditRecord
from exchange.clock import FrozenClock
from exchange.deadlines.sweep import sweep
from policies import requests
from supervision.models import Violation
from tests.catalog_fixtures import CatalogWorld
from tests.conftest import local
from tests.scenarios.data import write
from tests.scenarios.people import bearer
from tests.scenarios.requests import act, file, publish


def test_r20_findings_are_registered_once_and_decided_by_the_bureau(
    world: CatalogWorld, clock: FrozenClock, client: TestClient
) -> None:
    clock.set(local(2026, 11, 2, 10, 0))
    code = publish(world)  # published, never collected by an ingest run: not provided
    write(world, code, 5, run_key="first")
    act(
        world, "data_reviewer", requests.approve, request_id=file(world, code)
    )  # for 核验企业法定代表人
    consumer = bearer(world, "consumer")
    for purpose in ("核验企业法定代表人身份", "市场营销推广"):
        read = client.get(f"/api/v1/data/{code}/rows", headers=consumer,
                          params={"purpose": purpose, "columns": "uscc,legal_representative"})  # fmt: skip
        assert read.status_code == 200
    with world.platform.database.transaction() as session:
        open_update_task(session, actor=world.actor("registrar"),
                         env=world.platform.workflow_environment(session), code=code,
                         description="字段变更")  # fmt: skip
    clock.set(local(2026, 11, 9, 9, 0))  # the 3 working days have passed
    with world.platform.database.transaction() as session:
        sweep(session, now=clock.now())

    admin = bearer(world, "admin")
    assert client.post("/api/v1/supervision/violations/detect", headers=consumer).status_code == 403
    found = client.post("/api/v1/supervision/violations/detect", headers=admin).json()["new"]
    kinds = sorted(v["kind"] for v in found)
    assert kinds == ["catalog_late", "not_provided", "purpose_mismatch"]
    mismatch = next(v for v in found if v["kind"] == "purpose_mismatch")
    assert (
        "市场营销推广" in mismatch["summary"]
    )  # the read for another purpose, not the matching one
    assert mismatch["department_id"] == world.consumer_department.id
    assert client.post("/api/v1/supervision/violations/detect", headers=admin).json()["new"] == []

    no_reason = client.post(f"/api/v1/supervision/violations/{mismatch['id']}/decision",
                            json={"decision": "confirmed", "reason": ""}, headers=admin)  # fmt: skip
    assert no_reason.status_code == 400
    decided = client.post(f"/api/v1/supervision/violations/{mismatch['id']}/decision",
                          json={"decision": "confirmed", "reason": "用途超出批准范围"}, headers=admin)  # fmt: skip
    assert decided.json()["decision"] == "confirmed"
    own = client.get("/api/v1/supervision/violations", headers=consumer).json()
    assert [v["kind"] for v in own] == ["purpose_mismatch"]  # a department sees its own
    with world.platform.database.transaction() as session:
        assert session.scalar(select(Violation.decided_by).where(Violation.id == mismatch["id"]))


def test_r20_a_decision_is_final_and_a_correction_is_a_new_decision_with_its_own_reason(
    world: CatalogWorld, clock: FrozenClock, client: TestClient
) -> None:
    clock.set(local(2026, 11, 2, 10, 0))
    publish(world)  # never provided
    admin, consumer = bearer(world, "admin"), bearer(world, "consumer")
    [found] = client.post("/api/v1/supervision/violations/detect", headers=admin).json()["new"]
    url = f"/api/v1/supervision/violations/{found['id']}"
    first = client.post(f"{url}/decision", json={"decision": "confirmed", "reason": "未按时提供"},
                        headers=admin)  # fmt: skip
    assert first.status_code == 200

    clock.set(local(2026, 11, 3, 10, 0))
    again = client.post(f"{url}/decision", json={"decision": "dismissed", "reason": "改判"},
                        headers={**admin, "Accept-Language": "zh"})  # fmt: skip
    assert again.status_code == 409
    assert "已于 2026-11-02 作出决定" in again.json()["message"]
    assert client.get(url, headers=admin).json()["decision"] == "confirmed"  # nothing overwritten

    assert client.post(f"{url}/corrections", json={"decision": "dismissed", "reason": "数据已由上游补录"},
                       headers=consumer).status_code == 403  # fmt: skip
    corrected = client.post(f"{url}/corrections",
                            json={"decision": "dismissed", "reason": "数据已由上游补录"},
                            headers=admin).json()  # fmt: skip
    first_decision, correction = corrected["decisions"]
    assert (first_decision["decision"], first_decision["reason"], first_decision["corrects_id"]) == (
        "confirmed", "未按时提供", None,
    )  # fmt: skip
    assert (correction["decision"], correction["reason"], correction["corrects_id"]) == (
        "dismissed", "数据已由上游补录", first_decision["id"],
    )  # fmt: skip
    assert (corrected["decision"], corrected["decision_reason"]) == (
        "dismissed",
        "数据已由上游补录",
    )
    with world.platform.database.transaction() as session:
        trail = session.execute(
            select(AuditRecord.action, AuditRecord.detail)
            .where(AuditRecord.object_type == "violation")
            .order_by(AuditRecord.seq)
        ).all()
    assert [action for action, _ in trail] == [
        "supervision.violation.decide", "supervision.violation.correct",
    ]  # fmt: skip
    assert orjson.loads(trail[1][1])["corrects"] == first_decision["id"]
