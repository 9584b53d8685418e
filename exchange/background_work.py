"""Work that runs outside a request, tracked so that work dying with its process is noticed.

Validations, comparisons, scorecards, violation detection, backups, deadline sweeps and e-mail
delivery each run inside :func:`tracked`: a row says what runs, for what, in which process
(exchange.work_owner), with a heartbeat a thread renews; it ends finished or failed. A row still
running whose process is gone from this host, or, run elsewhere, silent for
``stale_work_minutes``, is what :func:`dead_work` finds; supervision.work_recovery marks it
abandoned, says so to whoever awaited its result, and runs again what can safely run again.
(Ingest runs keep their own record with the same owner and heartbeat: collection.recovery.)
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from exchange.db import Base, Database
from exchange.runtime import Platform
from exchange.work_owner import this_process, why_dead


class WorkState(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    ABANDONED = "abandoned"


class BackgroundWork(Base):
    __tablename__ = "background_work"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))  # what it works on: a code, an id, a period
    state: Mapped[str] = mapped_column(String(12), index=True)
    owner: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


@contextmanager
def beating(
    database: Database, seconds: float, beat: Callable[[Session], bool], name: str
) -> Iterator[None]:
    """Call ``beat`` in a transaction every ``seconds`` while the block runs, until it returns
    False: the heartbeat of a piece of work."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(seconds):
            with database.transaction() as session:
                if not beat(session):
                    return

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@contextmanager
def tracked(platform: Platform, kind: str, subject: str) -> Iterator[int]:
    """Record ``kind`` of work on ``subject`` as running in this process while the block runs,
    finished when it ends, failed (with the error) when it raises; yields the record's id."""
    now = platform.clock.now()
    with platform.database.transaction() as session:
        work = BackgroundWork(kind=kind, subject=subject[:200], state=WorkState.RUNNING,
                              owner=this_process(), started_at=now, heartbeat_at=now)  # fmt: skip
        session.add(work)
        session.flush()
        work_id = work.id

    def beat(session: Session) -> bool:
        row = session.get(BackgroundWork, work_id)
        if row is None or row.state != WorkState.RUNNING:
            return False
        row.heartbeat_at = platform.clock.now()
        return True

    try:
        with beating(platform.database, platform.settings.heartbeat_seconds, beat,
                     f"heartbeat-{kind}-{work_id}"):  # fmt: skip
            yield work_id
    except BaseException as error:
        _end(platform, work_id, WorkState.FAILED, f"{type(error).__name__}: {error}"[:2000])
        raise
    _end(platform, work_id, WorkState.FINISHED, None)


def _end(platform: Platform, work_id: int, state: WorkState, error: str | None) -> None:
    with platform.database.transaction() as session:
        work = session.get_one(BackgroundWork, work_id)
        if work.state == WorkState.RUNNING:  # not if recovery took it for dead meanwhile
            work.state, work.finished_at, work.error = state, platform.clock.now(), error


def dead_work(session: Session, *, now: datetime, stale_minutes: int) -> list[BackgroundWork]:
    """Running work whose process is gone from this host, or, elsewhere, silent too long."""
    silent_since = now - timedelta(minutes=stale_minutes)
    running = session.scalars(
        select(BackgroundWork).where(BackgroundWork.state == WorkState.RUNNING).with_for_update()
    ).all()
    return [work for work in running if why_dead(work.owner, work.heartbeat_at, silent_since)]
