"""The demonstration's history: months of sharing before today, so that the dashboard's trends
mean something on a new installation.

Seeded through the same services as live work, with the clock moved back: departments file
requests for each other's conditional items and the providers decide them — most within the three
working days of R14, some late — and consumers read each other's data under the grants and the
unconditional items, more as the months go by. Each read leaves its usage row and audit record
(:func:`policies.read_records.write_records`), as a read through the API does. Each month's
scorecards are computed, as the daily DAG does. A second
``exchange demo`` finds the history and adds none.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update

from collection.ingest import latest_snapshots
from exchange.clock import FrozenClock
from exchange.demo import DEMO_DEPARTMENTS, demo_code, demo_person
from exchange.errors import DomainError
from exchange.identity.models import Department
from exchange.identity.roles import Role
from exchange.notifications.models import Notification
from exchange.principal import Principal
from exchange.runtime import Platform
from exchange.workdays import WorkingDayCalendar, working_day_deadline
from exchange.worklist.models import Task
from policies import requests
from policies.models import DataUsage
from policies.pdp import DataAccessPolicy, ResourceFacts
from policies.read_records import ReadRecord, write_records
from policies.requests import RequestDraft
from policies.vocab import Purpose, SharingMode
from supervision import scorecards

HISTORY_DAYS = 182
PURPOSES = ("核验企业登记信息", "办理社会保险登记", "低保家庭经济状况核对", "税收征管比对")
# The share of requests decided late (after the 3 working days of R14), falling over the months
# as the providers get used to the platform.
LATE_AT_FIRST, LATE_AT_LAST = 0.4, 0.05
# Each grant of the history is for a task of some weeks, and all have ended by the demo's today:
# what a user does in the demo starts from grants of their own.
GRANTED_FOR = timedelta(days=75)


@dataclass(frozen=True)
class History:
    requests: int
    late: int
    reads: int


def seed_history(platform: Platform, *, days: int = HISTORY_DAYS, seed: int = 2026) -> History:
    """``days`` of requests, decisions and reads before now; nothing if history exists."""
    now = platform.clock.now()
    start = now - timedelta(days=days)
    with platform.database.transaction() as session:
        if session.scalar(select(DataUsage.id).where(DataUsage.at < now - timedelta(days=7))):
            return History(0, 0, 0)
        loaded = sorted(latest_snapshots(session).items())
        calendar = platform.calendar(session)
    rng = random.Random(seed)  # noqa: S311 (synthetic history, repeatable by seed)
    past = Platform(platform.settings, platform.database, FrozenClock(start))
    filed, late = _requests(past, loaded, calendar, rng, start, now)
    reads = _reads(platform, loaded, rng, start, now)
    _scorecards(platform, start, now)
    _caught_up(platform, now - timedelta(days=1))
    return History(filed, late, reads)


def _caught_up(platform: Platform, before: datetime) -> None:
    """The history's people read their messages and took note of the decisions they were told
    of, as people do: the demo's work lists and message centres start with today's work."""
    with platform.database.transaction() as session:
        session.execute(
            update(Notification)
            .where(Notification.created_at < before, Notification.read_at.is_(None))
            .values(read_at=Notification.created_at)
        )
        session.execute(
            update(Task)
            .where(Task.created_at < before, Task.ends_when_read.is_(True), Task.done_at.is_(None))
            .values(done_at=Task.created_at, done_by_user_id=Task.assignee_user_id)
        )


def _scorecards(platform: Platform, start: datetime, now: datetime) -> None:
    """Each month's scorecards, as the daily DAG computes them, so the year's trends show."""
    zone = platform.settings.zone
    month, last = start.astimezone(zone).date().replace(day=1), now.astimezone(zone).date()
    while month <= last:
        with platform.database.transaction() as session:
            scorecards.compute(session, period=f"{month:%Y-%m}", zone=zone, now=now)
        month = (month + timedelta(days=32)).replace(day=1)


def _consumers() -> list[str]:
    return [d.short for d in DEMO_DEPARTMENTS if Role.CONSUMER in d.roles]


def _short_of(platform: Platform) -> dict[int, str]:
    codes = {demo_code(d.serial, d.kind): d.short for d in DEMO_DEPARTMENTS}
    with platform.database.transaction() as session:
        return {
            department_id: codes[code]
            for department_id, code in session.execute(select(Department.id, Department.code))
            if code in codes
        }


def _working_days(first: date, last: date, calendar: WorkingDayCalendar) -> Iterator[date]:
    day = first
    while day < last:
        if calendar.is_working_day(day):
            yield day
        day += timedelta(days=1)


def _at(day: date, hour: int, platform: Platform) -> datetime:
    return datetime.combine(day, time(hour), platform.settings.zone)


def _requests(
    past: Platform,
    loaded: list[tuple[str, int]],
    calendar: WorkingDayCalendar,
    rng: random.Random,
    start: datetime,
    now: datetime,
) -> tuple[int, int]:
    """Every other week each consumer asks one provider for its conditional items; the provider
    decides after some working days, late less often as the months go by."""
    clock = past.clock
    assert isinstance(clock, FrozenClock)
    pdp = _policy(past)
    short = _short_of(past)
    last = now.astimezone(past.settings.zone).date() - timedelta(days=2)
    days = [day for day in _working_days(start.date(), last, calendar) if day < last]
    filed = late = 0
    for day in days[::10]:
        for consumer in _consumers():
            facts = _conditional(pdp, loaded, consumer, short, rng)
            if facts is None:
                continue
            progress = (day - days[0]).days / max(1, (days[-1] - days[0]).days)
            late_share = LATE_AT_FIRST + (LATE_AT_LAST - LATE_AT_FIRST) * progress
            taken = rng.choice((4, 5, 6)) if rng.random() < late_share else rng.choice((1, 2, 3))
            decided = working_day_deadline(_at(day, 10, past), taken, calendar).due_date
            if decided >= last:
                continue  # only decided requests: the demo's open ones are the users' to make
            clock.set(_at(day, 10, past))
            try:
                request_id = _file(past, consumer, facts, day, min(day + GRANTED_FOR, last))
            except DomainError:
                continue  # a pair the demo catalog does not allow (a sensitive entry, say)
            filed += 1
            clock.set(_at(decided, 16, past))
            with past.database.transaction() as session:
                requests.approve(
                    session, actor=demo_person(session, f"{short[facts.provider_department_id]}.data_reviewer"),
                    env=past.workflow_environment(session), request_id=request_id,
                    note="演示数据：按申请同意",
                )  # fmt: skip
            late += taken > 3
    return filed, late


def _policy(platform: Platform) -> DataAccessPolicy:
    pdp = DataAccessPolicy()
    with platform.database.sessions() as session:
        pdp.load(session)
    return pdp


def _conditional(
    pdp: DataAccessPolicy,
    loaded: list[tuple[str, int]],
    consumer: str,
    short: dict[int, str],
    rng: random.Random,
) -> ResourceFacts | None:
    """A loaded resource of another department with conditional items to ask for."""
    choices = []
    for code, _ in loaded:
        facts = pdp.resource(code)
        if facts is None or short.get(facts.provider_department_id) in (None, consumer):
            continue
        if _conditional_items(facts):
            choices.append(facts)
    return rng.choice(choices) if choices else None


def _conditional_items(facts: ResourceFacts) -> list[str]:
    barred = {name for name, _ in facts.not_shared}
    return [name for name in facts.items if name not in facts.unconditional | barred]


def _file(platform: Platform, consumer: str, facts: ResourceFacts, day: date, until: date) -> int:
    draft = RequestDraft(
        code=facts.code,
        items=_conditional_items(facts),
        purpose_code=Purpose.ADMINISTRATIVE_APPROVAL,
        purpose=PURPOSES[len(consumer) % len(PURPOSES)],
        duty_basis="《优化营商环境条例》第三十六条",
        mode=SharingMode.API_QUERY,
        period_from=day,
        period_to=until,
    )
    with platform.database.transaction() as session:
        return requests.file_request(
            session, actor=demo_person(session, f"{consumer}.consumer"),
            env=platform.workflow_environment(session), draft=draft,
        ).id  # fmt: skip


def _reads(
    platform: Platform,
    loaded: list[tuple[str, int]],
    rng: random.Random,
    start: datetime,
    now: datetime,
) -> int:
    """Each consumer reads other departments' data on working hours, as the decision point
    allows at that moment (under the grants approved by then); more each month."""
    pdp = _policy(platform)
    short = _short_of(platform)
    people: dict[str, Principal] = {}
    with platform.database.transaction() as session:
        for consumer in _consumers():
            people[consumer] = demo_person(session, f"{consumer}.consumer")
    total, day = 0, start.date()
    span = (now.date() - day).days or 1
    while day < now.date():
        records = []
        growth = 1 + 2 * (day - start.date()).days / span  # three times the reads by today
        for consumer, actor in people.items():
            for code, snapshot_id in loaded:
                facts = pdp.resource(code)
                if facts is None or short.get(facts.provider_department_id) in (None, consumer):
                    continue
                for _ in range(int(rng.random() * 2 * growth)):
                    at = _at(day, rng.randint(9, 17), platform)
                    records += _read(pdp, actor, facts, snapshot_id, at, rng)
        if records:
            with platform.database.engine.begin() as connection:
                write_records(connection, records)
            total += len(records)
        day += timedelta(days=1)
    return total


def _read(
    pdp: DataAccessPolicy,
    actor: Principal,
    facts: ResourceFacts,
    snapshot_id: int,
    at: datetime,
    rng: random.Random,
) -> list[ReadRecord]:
    assert actor.department_id is not None
    decision = pdp.decide(
        department_id=actor.department_id, code=facts.code, mode=SharingMode.API_QUERY, at=at
    )
    if not decision.allowed or not decision.items:
        return []
    record = ReadRecord(actor, facts, decision, SharingMode.API_QUERY,
                        PURPOSES[rng.randrange(len(PURPOSES))], 0, snapshot_id, at)  # fmt: skip
    return [replace(record, rows=rng.randint(1, 200))]
