"""R9: an ingest run killed at any moment (SIGKILL, seeded random points) leaves no run "running"
once recovery has looked, the store's current snapshot is the old or the new one, and a retry
with the run's key completes it exactly once, its record, snapshot and audit record agreeing."""

import os
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import func, select

from collection.ingest import ingest
from collection.models import IngestRun
from collection.recovery import abandon_dead_runs, retry_abandoned
from collection.vocab import RunStatus
from exchange.audit.models import AuditRecord
from exchange.audit.verify import verify_chain
from exchange.clock import FrozenClock
from exchange.fault_points import KILL_AT
from exchange.identity.roles import Role
from exchange.notifications.models import Notification
from exchange.settings import Settings
from exchange.store import UnifiedStore
from exchange.work_owner import this_process
from tests.catalog_fixtures import CatalogWorld
from tests.collection_fixtures import drop_folder, publish_enterprises
from tests.factories import make_user

ROWS = 120_000
# The commit boundaries of an ingest run (exchange.fault_points), in the order it reaches them.
INGEST_POINTS = ("ingest.started", "ingest.committed", "ingest.recorded")


def _big_drop(world: CatalogWorld) -> tuple[str, int]:
    from collection.sources import register_source

    code = publish_enterprises(world)
    folder = drop_folder(world) / "enterprises"
    folder.mkdir()
    lines = ["uscc,enterprise_name,legal_representative,registered_capital"]
    lines += [f"91440300MA5{i:07d},深圳市示例{i}有限公司,张{i},{i}.50" for i in range(ROWS)]
    (folder / "all.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with world.platform.database.transaction() as session:
        source = register_source(
            session, actor=world.actor("resource_admin"), now=world.platform.clock.now(),
            settings=world.platform.settings, code=code, kind="file",
            config={"folder": "enterprises"}, secret={},
        )  # fmt: skip
        return code, source.id


def _environment(settings: Settings, kill_at: str | None = None) -> dict[str, str]:
    """The platform the test sees, for a process of its own; killed at a named point if given."""
    return {
        **os.environ,
        "EXCHANGE_DATABASE_URL": settings.resolved_database_url,
        "EXCHANGE_DATA_DIR": str(settings.data_dir),
        "EXCHANGE_WAREHOUSE_PATH": str(settings.resolved_warehouse_path),
        **({KILL_AT: kill_at} if kill_at else {}),
    }


def _wait_until_started(world: CatalogWorld, key: str, worker: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and worker.poll() is None:
        with world.platform.database.transaction() as session:
            if session.scalar(select(IngestRun.id).where(IngestRun.run_key == key)):
                return
        time.sleep(0.05)


def _running(world: CatalogWorld) -> int:
    with world.platform.database.transaction() as session:
        return (
            session.scalar(select(func.count()).where(IngestRun.status == RunStatus.RUNNING)) or 0
        )


def test_r9_an_ingest_killed_at_random_points_is_abandoned_then_retried_once(
    world: CatalogWorld,
) -> None:
    settings = world.platform.settings
    code, source_id = _big_drop(world)
    store = UnifiedStore(settings)
    ingest(world.platform, source_id=source_id, run_key="before")
    current = store.current_snapshot_id(code)
    seeded = random.Random(28)
    outcomes = []
    # Each commit boundary by name, then seeded moments anywhere in the run.
    kills = [*INGEST_POINTS, None, None]
    for attempt, point in enumerate(kills):
        key = f"killed-{attempt}"
        worker = subprocess.Popen(
            [sys.executable, "-m", "exchange_cli", "collection", "ingest", str(source_id),
             "--run-key", key],
            env=_environment(settings, kill_at=point),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        if point is None:
            _wait_until_started(world, key, worker)
            time.sleep(seeded.uniform(0.0, 2.5))
            worker.kill()
        assert worker.wait() == -signal.SIGKILL or point is None

        abandon_dead_runs(world.platform)
        assert _running(world) == 0
        with world.platform.database.transaction() as session:
            run = session.scalar(select(IngestRun).where(IngestRun.run_key == key))
            outcomes.append(None if run is None else run.status)
        # The store moved to this run's snapshot or stayed where it was: nothing in between.
        now = store.current_snapshot_id(code)
        assert now in (current, store.snapshot_for_run(code, key))

        retried = ingest(world.platform, source_id=source_id, run_key=key)
        assert retried.status == RunStatus.SUCCEEDED
        # An overwrite is a delete and an append, both marked with the run key: one of each.
        marked = [s for s in store.snapshots(code) if s.properties.get("exchange.run-key") == key]
        written = [s for s in marked if s.operation != "delete"]
        assert len(written) == 1  # never written twice
        assert store.current_snapshot_id(code) == written[0].snapshot_id
        if retried.content_hash is not None:  # None when the killed attempt had committed
            assert written[0].properties["exchange.content-sha256"] == retried.content_hash
        assert store.scan(code, columns=("uscc",)).num_rows == ROWS
        current = written[0].snapshot_id

    # Killed at "started" and "committed" the run was abandoned; at "recorded" it had finished.
    assert outcomes[:3] == [RunStatus.ABANDONED, RunStatus.ABANDONED, RunStatus.SUCCEEDED]
    with world.platform.database.transaction() as session:
        for attempt in range(len(kills)):
            recorded = session.scalars(
                select(AuditRecord.detail).where(
                    AuditRecord.action == "collection.ingest",
                    AuditRecord.outcome == "allowed",
                    AuditRecord.detail.contains(f'"killed-{attempt}"'),
                )
            ).all()
            assert len(recorded) == 1
        assert verify_chain(session.connection()).ok


def test_r9_a_silent_run_elsewhere_is_abandoned_after_the_stale_time_and_told(
    world: CatalogWorld, clock: FrozenClock
) -> None:
    """A run on another host cannot be looked up: its heartbeat decides, on the injected clock.
    The provider's data resource administrators are told; the sweep runs it again."""
    code, source_id = _big_drop(world)
    with world.platform.database.transaction() as session:
        admin = make_user(session, world.platform, world.provider, Role.DATA_RESOURCE_ADMIN)
        run = IngestRun(source_id=source_id, resource_id=_resource_id(session, code),
                        run_key="elsewhere", status=RunStatus.RUNNING, started_at=clock.now(),
                        owner="another-host:4242:1", heartbeat_at=clock.now())  # fmt: skip
        mine = IngestRun(source_id=source_id, resource_id=run.resource_id, run_key="mine",
                         status=RunStatus.RUNNING, started_at=clock.now(),
                         owner=this_process(), heartbeat_at=clock.now())  # fmt: skip
        session.add_all([run, mine])
    clock.advance(timedelta(minutes=world.platform.settings.stale_work_minutes - 1))
    assert abandon_dead_runs(world.platform) == []  # silent, but not for long enough yet
    clock.advance(timedelta(minutes=2))
    abandoned = abandon_dead_runs(world.platform)
    with world.platform.database.transaction() as session:
        elsewhere = session.scalars(select(IngestRun).where(IngestRun.run_key == "elsewhere")).one()
        assert abandoned == [elsewhere.id]
        assert elsewhere.status == RunStatus.ABANDONED
        assert "no sign of life" in (elsewhere.error or "")
        # This process is alive and its run is its own business, however long it takes.
        assert session.scalars(select(IngestRun.status).where(IngestRun.run_key == "mine")).one() \
            == RunStatus.RUNNING  # fmt: skip
        told = session.scalars(select(Notification).where(Notification.user_id == admin.id)).one()
        assert told.kind == "collection.run_abandoned"
        assert (
            session.scalar(
                select(func.count()).where(AuditRecord.action == "collection.ingest_abandoned")
            )
            == 1
        )
    assert len(retry_abandoned(world.platform, abandoned)) == 1
    assert UnifiedStore(world.platform.settings).scan(code, columns=("uscc",)).num_rows == ROWS


def _resource_id(session: object, code: str) -> int:
    from catalog.models import Resource

    return int(session.scalars(select(Resource.id).where(Resource.code == code)).one())  # type: ignore[attr-defined]


def test_r19_a_validation_killed_at_random_points_leaves_all_of_its_result_or_none(
    world: CatalogWorld,
) -> None:
    """A validation writes its run, any issue, the serving status and its audit record in one
    transaction: killed anywhere, each run has its record and each record its run, and running
    it again completes."""
    from quality.models import ValidationRun
    from quality.validation import validate_snapshot

    code, source_id = _big_drop(world)
    ingest(world.platform, source_id=source_id, run_key="loaded")
    seeded = random.Random(19)

    def counts() -> tuple[int, int]:
        with world.platform.database.transaction() as session:
            runs = session.scalar(select(func.count()).where(ValidationRun.resource_code == code))
            records = session.scalar(
                select(func.count()).where(
                    AuditRecord.action == "quality.validate", AuditRecord.object_id == code
                )
            )
        return runs or 0, records or 0

    for point in ("validation.checked", "validation.recorded", None, None):
        before, _ = counts()
        worker = subprocess.Popen(
            [sys.executable, "-m", "exchange_cli", "quality", "validate", code],
            env=_environment(world.platform.settings, kill_at=point),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        if point is None:
            time.sleep(seeded.uniform(0.5, 6.0))
            worker.kill()
        worker.wait()
        runs, records = counts()
        assert runs == records
        expected = {"validation.checked": {before}, "validation.recorded": {before + 1}}
        assert runs in expected.get(point or "", {before, before + 1})
    validate_snapshot(world.platform, code=code)
    runs, records = counts()
    assert runs == records
    with world.platform.database.transaction() as session:
        assert verify_chain(session.connection()).ok
