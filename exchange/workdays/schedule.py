"""Loading the working-day calendar from the database, and importing a year's official schedule.

The import file is CSV with a header ``date,type,name``; ``type`` is ``holiday`` (a weekday off)
(a day off; weekend days may be listed too) or ``workday``
(a weekend day worked, 调休). Every year that appears in the file is replaced as a
whole. Example::

    date,type,name
    2027-01-01,holiday,元旦
    2027-02-07,workday,春节调休
"""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from exchange import audit
from exchange.errors import InvalidInput
from exchange.principal import Principal
from exchange.workdays.calendar import WorkingDayCalendar
from exchange.workdays.models import CalendarDay, CalendarYear

_TYPES = {"holiday": False, "workday": True}


@dataclass(frozen=True)
class ScheduleDay:
    day: date
    working: bool
    name: str


def load_calendar(session: Session, zone: ZoneInfo) -> WorkingDayCalendar:
    overrides = {row.day: row.working for row in session.scalars(select(CalendarDay))}
    years = session.scalars(select(CalendarYear.year)).all()
    return WorkingDayCalendar(zone, overrides, years)


def parse_schedule_csv(text: str) -> list[ScheduleDay]:
    """Parse and check a schedule file; every problem is reported with its line number."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if reader.fieldnames is None or [f.strip() for f in reader.fieldnames] != [
        "date",
        "type",
        "name",
    ]:
        raise InvalidInput("the schedule file must start with the header: date,type,name")
    days: list[ScheduleDay] = []
    problems: list[str] = []
    seen: set[date] = set()
    for line_number, row in enumerate(reader, start=2):
        problem, parsed = _parse_row(row)
        if parsed is not None and parsed.day in seen:
            problem = f"{parsed.day} appears twice"
        if problem:
            problems.append(f"line {line_number}: {problem}")
        elif parsed is not None:
            seen.add(parsed.day)
            days.append(parsed)
    if problems:
        raise InvalidInput("the schedule file has errors; nothing was imported", detail=problems)
    if not days:
        raise InvalidInput("the schedule file lists no days")
    return days


def _parse_row(row: dict[str, str]) -> tuple[str | None, ScheduleDay | None]:
    try:
        day = date.fromisoformat((row.get("date") or "").strip())
    except ValueError:
        return f"date {row.get('date')!r} is not YYYY-MM-DD", None
    kind = (row.get("type") or "").strip()
    if kind not in _TYPES:
        return f"type {kind!r} must be holiday or workday", None
    working = _TYPES[kind]
    if working and day.weekday() < 5:
        return f"{day} is a weekday; a make-up workday falls on a weekend", None
    name = (row.get("name") or "").strip()
    if not name:
        return "name is empty", None
    return None, ScheduleDay(day, working, name)


@dataclass(frozen=True)
class ScheduleImport:
    years: list[int]
    days: int
    recomputed_deadlines: int


def import_schedule(
    session: Session,
    *,
    days: Iterable[ScheduleDay],
    source: str,
    actor: Principal,
    now: datetime,
    zone: ZoneInfo,
) -> ScheduleImport:
    """Replace the schedule of every year in ``days`` and recompute provisional deadlines."""
    from exchange.deadlines.service import recompute_provisional

    days = list(days)
    years = sorted({d.day.year for d in days})
    session.execute(delete(CalendarDay).where(CalendarDay.year.in_(years)))
    session.execute(delete(CalendarYear).where(CalendarYear.year.in_(years)))
    session.flush()
    for year in years:
        session.add(
            CalendarYear(year=year, source=source, imported_at=now, imported_by=actor.username)
        )
    session.add_all(
        CalendarDay(day=d.day, year=d.day.year, working=d.working, name=d.name) for d in days
    )
    session.flush()
    recomputed = recompute_provisional(session, calendar=load_calendar(session, zone))
    audit.record(
        session,
        at=now,
        actor=actor,
        action="calendar.import",
        object_type="calendar",
        object_id=",".join(map(str, years)),
        detail={"source": source, "days": len(days), "recomputed_deadlines": recomputed},
    )
    return ScheduleImport(years, len(days), recomputed)
