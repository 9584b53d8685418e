"""R19/R20: background work (validations, comparisons, scorecards, backups, sweeps, e-mail) is
tracked with its process and heartbeat; a validation killed with its process is found by the
sweep, marked abandoned, audited, told to whoever awaited it, and run again to completion; work
elsewhere that fell silent is abandoned after the stale time on the injected clock."""

import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from collection.ingest import ingest
from exchange.audit.models import AuditRecord
from exchange.background_work import BackgroundWork, WorkState, tracked
from exchange.clock import FrozenClock
from exchange.identity.roles import Role
from exchange.notifications.models import Notification
from quality.models import ValidationRun
from supervision.work_recovery import recover, sweep_and_recover
from tests.catalog_fixtures import CatalogWorld
from tests.collection.test_crash_recovery import _big_drop, _environment
from tests.factories import make_user


def _works(world: CatalogWorld, kind: str) -> list[tuple[str, str]]:
    with world.platform.database.transaction() as session:
        return [(w.state, w.subject) for w in session.scalars(
            select(BackgroundWork).where(BackgroundWork.kind == kind).order_by(BackgroundWork.id)
        )]  # fmt: skip


def test_r19_tracked_work_ends_finished_or_failed_with_its_error(world: CatalogWorld) -> None:
    with tracked(world.platform, "comparison", "7"):
        pass
    with pytest.raises(ValueError, match="bad"), tracked(world.platform, "comparison", "8"):
        raise ValueError("bad")
    assert _works(world, "comparison") == [("finished", "7"), ("failed", "8")]


def test_r19_a_validation_killed_with_its_process_is_abandoned_told_and_run_again(
    world: CatalogWorld,
) -> None:
    code, source_id = _big_drop(world)
    ingest(world.platform, source_id=source_id, run_key="loaded")
    with world.platform.database.transaction() as session:
        steward = make_user(session, world.platform, world.bureau, Role.DATA_STEWARD)
    worker = subprocess.Popen(
        [sys.executable, "-m", "exchange_cli", "quality", "validate", code],
        env=_environment(world.platform.settings),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not _works(world, "validation") and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.kill()  # as soon as it says it runs: before its result is committed
    worker.wait()
    assert _works(world, "validation") == [("running", code)]

    report = sweep_and_recover(world.platform)
    assert len(report.recovered.work_abandoned) == 1
    assert report.recovered.work_retried == report.recovered.work_abandoned
    assert _works(world, "validation") == [("abandoned", code), ("finished", code)]
    with world.platform.database.transaction() as session:
        assert session.scalar(
            select(func.count()).where(ValidationRun.resource_code == code)
        ) == 1  # fmt: skip
        told = session.scalars(select(Notification).where(Notification.user_id == steward.id))
        assert [n.kind for n in told] == ["work.abandoned"]
        assert session.scalar(
            select(func.count()).where(AuditRecord.action == "work.abandoned")
        ) == 1  # fmt: skip
    # The sweep and the delivery were tracked too, and ended.
    assert _works(world, "deadline_sweep") == [("finished", "deadlines")]
    assert _works(world, "email_delivery") == [("finished", "outbox")]


def test_r20_silent_work_elsewhere_is_abandoned_after_the_stale_time(
    world: CatalogWorld, clock: FrozenClock
) -> None:
    with world.platform.database.transaction() as session:
        session.add(BackgroundWork(kind="backup", subject="/backups/nightly",
                                   state=WorkState.RUNNING, owner="another-host:77:1",
                                   started_at=clock.now(), heartbeat_at=clock.now()))  # fmt: skip
    clock.advance(timedelta(minutes=world.platform.settings.stale_work_minutes - 1))
    assert recover(world.platform, retry=True).work_abandoned == []
    clock.advance(timedelta(minutes=2))
    recovered = recover(world.platform, retry=True)
    assert len(recovered.work_abandoned) == 1
    assert recovered.work_retried == []  # a backup is the operator's to take again
    assert _works(world, "backup") == [("abandoned", "/backups/nightly")]
