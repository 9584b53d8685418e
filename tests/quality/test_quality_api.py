"""Quality through the API: a blocking failure keeps the last passing snapshot served (and says
so), consumers see a resource under verification, issues stay within their department, and the
5-working-day feedback deadline runs across the National Day holiday."""

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select

from exchange.clock import FrozenClock
from exchange.deadlines.models import Deadline
from exchange.deadlines.sweep import sweep
from exchange.notifications.models import Notification
from quality.models import FEEDBACK, QualityIssue
from quality.validation import validate_snapshot
from tests.catalog_fixtures import CatalogWorld, enterprise_register, publish_entry
from tests.conftest import local
from tests.scenarios.people import bearer
from tests.scenarios.quality import write

PURPOSE = {"purpose": "核验企业登记信息"}


def test_a_blocking_failure_keeps_the_last_passing_snapshot_served(
    world: CatalogWorld, client: TestClient
) -> None:
    code = publish_entry(world, enterprise_register())
    good = write(world, code, [f"91440300MA5{i:07d}" for i in range(10)], "good")
    assert validate_snapshot(world.platform, code=code).passed
    bad = write(world, code, ["91440300MA50000001"] * 2 + ["91440300MA50000002"], "duplicated")
    run = validate_snapshot(world.platform, code=code)
    assert run.blocking_failed
    assert run.snapshot_id == bad

    consumer = bearer(world, "consumer")
    response = client.get(f"/api/v1/data/{code}/rows", params=PURPOSE, headers=consumer)
    assert response.status_code == 200, response.text
    assert response.headers["X-Snapshot-Id"] == str(good)
    assert response.headers["X-Quality-Status"] == "quarantined"
    assert f"snapshot {bad} is quarantined" in response.headers["X-Quality-Note"]
    assert response.json()["row_count"] == 10

    # Checking an older snapshot again changes nothing of what is served.
    assert validate_snapshot(world.platform, code=code, snapshot_id=good).passed
    again = client.get(f"/api/v1/data/{code}/rows", params=PURPOSE, headers=consumer)
    assert again.headers["X-Snapshot-Id"] == str(good)
    entry = client.get(f"/api/v1/catalog/entries/{code}", headers=consumer).json()
    assert entry["quality"] == {"under_verification": True, "open_issues": 1, "quarantined": True}
    state = client.get(f"/api/v1/quality/resources/{code}/status", headers=consumer).json()
    assert state["under_verification"]
    assert state["quarantined_snapshot_id"] == bad
    assert state["serving_snapshot_id"] == good

    fixed = write(world, code, [f"91440300MA5{i:07d}" for i in range(12)], "fixed")
    steward = bearer(world, "steward")
    again = client.post(f"/api/v1/quality/resources/{code}/validate", headers=steward)
    assert again.status_code == 201
    assert again.json()["passed"]
    response = client.get(f"/api/v1/data/{code}/rows", params=PURPOSE, headers=consumer)
    assert response.headers["X-Snapshot-Id"] == str(fixed)
    assert response.headers["X-Quality-Status"] == "under-verification"  # the issue is still open


def test_issues_stay_within_their_department_and_reports_open_offline(
    world: CatalogWorld, client: TestClient
) -> None:
    code = publish_entry(world, enterprise_register())
    write(world, code, ["91440300MA50000001"] * 2, "duplicated")
    run = validate_snapshot(world.platform, code=code)
    with world.platform.database.transaction() as session:
        issue_id = session.scalars(select(QualityIssue.id)).one()

    provider, consumer = bearer(world, "resource_admin"), bearer(world, "consumer")
    assert client.get(f"/api/v1/quality/issues/{issue_id}", headers=provider).status_code == 200
    assert client.get(f"/api/v1/quality/issues/{issue_id}", headers=consumer).status_code == 404
    assert client.get("/api/v1/quality/issues", headers=consumer).json() == []
    refused = client.post(f"/api/v1/quality/issues/{issue_id}/acknowledge", headers=consumer)
    assert refused.status_code == 404
    confirmed = client.post(
        f"/api/v1/quality/issues/{issue_id}/answer", headers=provider,
        json={"kind": "confirmed", "text": "两条记录确属同一企业"},
    )  # fmt: skip
    assert confirmed.status_code == 400
    assert "evidence" in confirmed.json()["message"]
    assert (
        client.post(f"/api/v1/quality/issues/{issue_id}/verify", headers=provider).status_code
        == 403
    )

    report = client.get(f"/api/v1/quality/validation-runs/{run.id}/report", headers=provider)
    assert report.status_code == 200
    assert "Validation report" in report.text  # one language at a time: the API's is English
    chinese = client.get(
        f"/api/v1/quality/validation-runs/{run.id}/report",
        headers={**provider, "Accept-Language": "zh-CN,zh;q=0.9"},
    )
    assert "数据校验报告" in chinese.text
    assert "Validation report" not in chinese.text
    assert "http://" not in report.text
    assert "https://" not in report.text
    assert (
        client.get(f"/api/v1/quality/validation-runs/{run.id}", headers=consumer).status_code == 404
    )
    overview = client.get("/api/v1/quality/overview", headers=bearer(world, "steward")).json()
    assert overview["open"] == 1
    assert overview["departments"][0]["issues"][0]["id"] == issue_id
    assert client.get("/api/v1/quality/overview", headers=consumer).status_code == 403


def test_feedback_before_national_day_is_due_after_it_and_escalated_once(
    world: CatalogWorld, clock: FrozenClock, client: TestClient
) -> None:
    code = publish_entry(world, enterprise_register())
    write(world, code, ["91440300MA50000001"] * 2, "duplicated")
    clock.set(local(2026, 9, 29, 10, 0))  # Tuesday; 1–7 October are holidays, 10 October works
    validate_snapshot(world.platform, code=code)
    platform = world.platform
    with platform.database.transaction() as session:
        deadline = session.scalars(select(Deadline).where(Deadline.kind == FEEDBACK)).one()
        # 30 Sep, 8 Oct, 9 Oct, Saturday 10 Oct (a make-up working day), Monday 12 Oct.
        assert deadline.due_date == date(2026, 10, 12)
    for moment, expected in (
        (local(2026, 10, 10, 9, 0), (0, 0)),
        (local(2026, 10, 12, 9, 0), (1, 0)),
        (local(2026, 10, 13, 0, 1), (0, 1)),
        (local(2026, 10, 13, 9, 0), (0, 0)),
    ):
        clock.set(moment)
        with platform.database.transaction() as session:
            result = sweep(session, now=clock.now())
        assert (result.reminded, result.escalated) == expected
    with platform.database.transaction() as session:
        escalated_to = session.scalars(
            select(Notification.user_id).where(Notification.kind == "deadline.overdue")
        ).all()
    assert world.users["coordinator"] in escalated_to
    overview = client.get("/api/v1/quality/overview", headers=bearer(world, "steward")).json()
    assert overview["overdue"] == 1
    assert overview["departments"][0]["issues"][0]["age_working_days"] == 6


def test_stewards_add_checks_and_providers_validate_their_own_data(
    world: CatalogWorld, client: TestClient
) -> None:
    code = publish_entry(world, enterprise_register())
    write(world, code, ["91440300MA50000001", "91440300MA50000002"], "first")
    steward, provider = bearer(world, "steward"), bearer(world, "resource_admin")
    check = {
        "kind": "matches",
        "column": "enterprise_name",
        "params": {"pattern": "^北京市"},
        "blocking": True,
        "description": "企业名称以“北京市”开头",
    }
    refused = client.post(f"/api/v1/quality/resources/{code}/expectations", json=check,
                          headers=provider)  # fmt: skip
    assert refused.status_code == 403
    added = client.post(f"/api/v1/quality/resources/{code}/expectations", json=check,
                        headers=steward)  # fmt: skip
    assert added.status_code == 201
    suite = client.get(f"/api/v1/quality/resources/{code}/suite", headers=provider).json()
    assert {"check": "matches(enterprise_name; pattern=^北京市)", "origin": "steward"}.items() <= {
        k: v for c in suite["checks"] if c["origin"] == "steward" for k, v in c.items()
    }.items()
    bad = client.post(
        f"/api/v1/quality/resources/{code}/expectations", headers=steward,
        json={**check, "params": {"pattern": "(["}},
    )  # fmt: skip
    assert bad.status_code == 400
    assert "does not compile" in bad.json()["message"]

    consumer = client.post(
        f"/api/v1/quality/resources/{code}/validate", headers=bearer(world, "consumer")
    )
    assert consumer.status_code == 403
    run = client.post(f"/api/v1/quality/resources/{code}/validate", headers=provider)
    assert run.status_code == 201
    assert run.json()["blocking_failed"]  # every name starts with 深圳市
    assert run.json()["trigger"] == "on_demand"
    removed = client.delete(f"/api/v1/quality/expectations/{added.json()['id']}", headers=steward)
    assert removed.status_code == 204
    again = client.post(f"/api/v1/quality/resources/{code}/validate", headers=provider).json()
    assert again["passed"]
