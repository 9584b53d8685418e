"""The demonstration's past loads: each demo source collected every couple of weeks over the
months before today, validated on load as the validation DAG does, and each quality issue a load
raises answered by the providing department — most within the five working days of R19, some
late — and closed by the steward. Run through the services with the clock moved back, before the
demo's present-day load, so that the present load is the newest in the store and in the records.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from catalog.models import Resource
from collection.ingest import ingest
from exchange.clock import FrozenClock
from exchange.demo import demo_person
from exchange.runtime import Platform
from exchange.workdays import WorkingDayCalendar, working_day_deadline
from quality import issues
from quality.issues import UNRESOLVED
from quality.models import QualityIssue
from quality.validation import validate_snapshot
from quality.vocab import AnswerKind, RunTrigger

LOAD_EVERY = timedelta(days=14)
HISTORY = timedelta(days=182)
# Working days a department takes to answer an issue: R19 allows 5.
ANSWER_DAYS = (2, 3, 4, 1, 7, 3, 2, 8, 4, 2)


@dataclass(frozen=True)
class PastLoad:
    code: str
    source_id: int
    provider: str  # the demo department's short name (scjg, rs, …)


def load_moments(now: datetime, zone: ZoneInfo) -> list[datetime]:
    """Every ``LOAD_EVERY`` from ``HISTORY`` ago to a week ago, at 02:00 of the city."""
    day, last = (
        (now - HISTORY).astimezone(zone).date(),
        (now - timedelta(days=7)).astimezone(zone).date(),
    )
    moments = []
    while day < last:
        moments.append(datetime.combine(day, time(2), zone))
        day += LOAD_EVERY
    return moments


def seed_past_loads(platform: Platform, loads: Sequence[PastLoad], *, seed: int = 2026) -> int:
    """Load each source at each past moment; answer and close what the loads raised. Returns the
    loads made (none when the sources have loaded before)."""
    now = platform.clock.now()
    with platform.database.transaction() as session:
        calendar = platform.calendar(session)
    rng = random.Random(seed)  # noqa: S311 (synthetic history, repeatable by seed)
    clock = FrozenClock(now)
    past = Platform(platform.settings, platform.database, clock)
    made = 0
    for moment in load_moments(now, platform.settings.zone):
        for load in loads:
            clock.set(moment + timedelta(minutes=rng.randint(0, 90)))
            run = ingest(past, source_id=load.source_id, run_key=f"demo-history-{moment:%Y%m%d}")
            if run.snapshot_id is None:
                continue
            made += 1
            validate_snapshot(past, code=load.code, snapshot_id=run.snapshot_id,
                              trigger=RunTrigger.INGEST)  # fmt: skip
            _answer_and_close(past, clock, load, calendar, ANSWER_DAYS[made % len(ANSWER_DAYS)])
    clock.set(now)
    return made


def _answer_and_close(
    past: Platform,
    clock: FrozenClock,
    load: PastLoad,
    calendar: WorkingDayCalendar,
    working_days: int,
) -> None:
    """The department confirms the data with evidence after ``working_days``; the steward verifies
    the answer and closes the issue the next working day."""
    with past.database.transaction() as session:
        open_ids = session.scalars(
            select(QualityIssue.id)
            .join(Resource, Resource.id == QualityIssue.resource_id)
            .where(Resource.code == load.code,
                   QualityIssue.state.in_([str(s) for s in UNRESOLVED]))
        ).all()  # fmt: skip
    answered = working_day_deadline(clock.now(), working_days, calendar).due_at - timedelta(hours=9)
    closed = working_day_deadline(answered, 1, calendar).remind_at + timedelta(hours=10)
    for issue_id in open_ids:
        clock.set(answered)
        with past.database.transaction() as session:
            issues.answer(
                session, actor=demo_person(session, f"{load.provider}.data_resource_admin"),
                env=past.workflow_environment(session), issue_id=issue_id,
                kind=AnswerKind.CONFIRMED, text="经核实，源系统数据属实",
                evidence="业务系统登记档案可查（演示数据）",
            )  # fmt: skip
        clock.set(closed)
        with past.database.transaction() as session:
            steward = demo_person(session, "dsj.data_steward")
            env = past.workflow_environment(session)
            issues.verify(session, actor=steward, env=env, issue_id=issue_id)
            issues.close(
                session, actor=steward, env=env, issue_id=issue_id, note="已核实",
            )  # fmt: skip
