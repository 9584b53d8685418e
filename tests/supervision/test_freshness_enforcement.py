"""R11 on an injected clock across the 2026 National Day holiday: a department whose data goes
stale is warned, its grants are suspended when the grace period (5 working days) ends — its reads
of conditional data then fail with a 403 that says why — and they come back when its data is
fresh again; a bureau decision lifts a suspension too."""

from pathlib import Path

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select

from collection.ingest import ingest
from collection.sources import register_source
from exchange.audit.models import AuditRecord
from exchange.clock import FrozenClock
from exchange.identity.roles import Role
from exchange.notifications.models import Notification
from policies import requests
from supervision.enforcement import enforce_freshness
from tests.catalog_fixtures import CatalogWorld, insured_persons
from tests.collection_fixtures import drop_folder
from tests.conftest import local
from tests.factories import make_user
from tests.scenarios.data import write
from tests.scenarios.people import bearer
from tests.scenarios.requests import act, file, publish

PURPOSE = {"purpose": "核验企业法定代表人"}


def consumer_publishes_daily_data(world: CatalogWorld, folder: Path) -> int:
    """The consuming department provides a daily resource of its own, loaded from a file drop."""
    draft = insured_persons(update_cycle="daily")
    platform = world.platform
    with platform.database.transaction() as session:
        from catalog import entries, lifecycle
        from exchange.identity.service import principal_for

        code = entries.create_entry(session, actor=world.actor("other_registrar"),
                                    now=platform.clock.now(), draft=draft).resource.code  # fmt: skip
        lifecycle.submit(session, actor=world.actor("other_registrar"),
                         env=platform.workflow_environment(session), code=code)  # fmt: skip
        lifecycle.approve(session, actor=world.actor("other_reviewer"),
                          env=platform.workflow_environment(session), code=code)  # fmt: skip
        admin = principal_for(make_user(session, platform, world.consumer_department,
                                        Role.DATA_RESOURCE_ADMIN))  # fmt: skip
    drop = drop_folder(world, "consumer_department") / "drop"
    drop.mkdir()
    (drop / "insured.csv").write_text(
        "id_number,insured_since\n440305199001011234,2020-01-01\n", encoding="utf-8"
    )
    with platform.database.transaction() as session:
        return register_source(
            session, actor=admin, now=platform.clock.now(), settings=platform.settings, code=code,
            kind="file", config={"folder": "drop"}, secret={},
        ).id  # fmt: skip


def enforce(world: CatalogWorld) -> tuple[list[int], list[int], list[int]]:
    with world.platform.database.transaction() as session:
        result = enforce_freshness(session, env=world.platform.workflow_environment(session))
    return result.warned, result.suspended, result.restored


def read(client: TestClient, world: CatalogWorld, code: str, columns: str) -> object:
    return client.get(f"/api/v1/data/{code}/rows", params={**PURPOSE, "columns": columns},
                      headers=bearer(world, "consumer"))  # fmt: skip


def test_r11_late_data_warns_then_suspends_across_the_holiday_and_fresh_data_restores(
    world: CatalogWorld, clock: FrozenClock, client: TestClient, tmp_path: Path
) -> None:
    clock.set(local(2026, 9, 25, 10, 0))  # Friday
    register = publish(world)
    write(world, register, 5, run_key="register")
    request_id = file(world, register)
    act(world, "data_reviewer", requests.approve, request_id=request_id)
    source_id = consumer_publishes_daily_data(world, tmp_path)
    ingest(world.platform, source_id=source_id, run_key="first")
    late_department = world.consumer_department.id
    assert read(client, world, register, "uscc,legal_representative").status_code == 200

    clock.set(local(2026, 9, 26, 9, 0))  # a day old: still within its cycle and grace
    assert enforce(world) == ([], [], [])
    clock.set(local(2026, 9, 28, 9, 0))  # Monday: late
    assert enforce(world) == ([late_department], [], [])
    # 5 working days: 29 and 30 September, 8, 9 and (a make-up working Saturday) 10 October.
    clock.set(local(2026, 10, 10, 18, 0))
    assert enforce(world) == ([], [], [])
    assert read(client, world, register, "uscc,legal_representative").status_code == 200
    clock.set(local(2026, 10, 11, 0, 30))
    assert enforce(world) == ([], [late_department], [])

    refused = read(client, world, register, "uscc,legal_representative")
    assert refused.status_code == 403
    assert "suspended" in refused.json()["message"]
    assert "missed their update cycle" in refused.json()["message"]
    assert read(client, world, register, "uscc,enterprise_name").status_code == 200  # open data

    clock.set(local(2026, 10, 12, 9, 0))
    ingest(world.platform, source_id=source_id, run_key="caught-up")
    # The commit that made the data fresh gave the grants back: no wait for the daily run.
    assert read(client, world, register, "uscc,legal_representative").status_code == 200
    assert enforce(world) == ([], [], [])
    with world.platform.database.transaction() as session:
        steps = session.scalars(
            select(AuditRecord.action)
            .where(AuditRecord.action.like("supervision.%"))
            .order_by(AuditRecord.at)
        ).all()
        restored = session.scalar(
            select(AuditRecord).where(AuditRecord.action == "supervision.restore")
        )
        kinds = set(session.scalars(select(Notification.kind)))
    assert restored is not None
    assert restored.actor == "system:ingest"
    assert orjson.loads(restored.detail) == {
        "reason": "data up to date again",
        "was_suspended": True,
    }
    assert steps == ["supervision.warn", "supervision.suspend", "supervision.restore"]
    assert {
        "supervision.freshness_warning",
        "supervision.suspended",
        "supervision.restored",
    } <= kinds


def test_a_bureau_decision_lifts_a_suspension_with_its_reason(
    world: CatalogWorld, clock: FrozenClock, client: TestClient, tmp_path: Path
) -> None:
    clock.set(local(2026, 11, 2, 10, 0))  # Monday
    register = publish(world)
    write(world, register, 5, run_key="register")
    act(world, "data_reviewer", requests.approve, request_id=file(world, register))
    ingest(world.platform, source_id=consumer_publishes_daily_data(world, tmp_path), run_key="one")
    clock.set(local(2026, 11, 5, 9, 0))
    enforce(world)
    clock.set(local(2026, 11, 13, 9, 0))
    assert enforce(world)[1] == [world.consumer_department.id]
    admin = bearer(world, "admin")
    code = world.consumer_department.code
    empty = client.post(f"/api/v1/supervision/departments/{code}/lift", json={"reason": " "},
                        headers=admin)  # fmt: skip
    assert empty.status_code == 400
    refused = client.post(f"/api/v1/supervision/departments/{code}/lift",
                          json={"reason": "系统升级导致延迟"}, headers=bearer(world, "consumer"))  # fmt: skip
    assert refused.status_code == 403
    lifted = client.post(f"/api/v1/supervision/departments/{code}/lift",
                         json={"reason": "系统升级导致延迟，已报备"}, headers=admin)  # fmt: skip
    assert lifted.status_code == 200
    assert lifted.json()["end_reason"] == "bureau decision: 系统升级导致延迟，已报备"
    assert read(client, world, register, "uscc,legal_representative").status_code == 200
    listed = client.get("/api/v1/supervision/suspensions", headers=bearer(world, "consumer")).json()
    assert [e["state"] for e in listed] == ["ended"]
