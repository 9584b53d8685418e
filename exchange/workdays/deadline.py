"""The one function that computes every working-day deadline.

Semantics (R23), in the city's time zone:

* The day on which the clock starts is day zero and never counts, whether it is a working day or
  not (期间开始之日不计算在内). Something submitted at 23:59 on a Friday, or at any time on a
  holiday, starts counting on the next working day.
* The deadline falls on the Nth working day after that and expires at the *end* of it:
  ``due_at`` is the following midnight, exclusive. A record is overdue once ``now >= due_at``.
* The reminder is due when the last working day begins (``remind_at``): one working day left.
* If any day counted lies in a year whose official schedule is not loaded, weekends alone were
  used for it and the result is ``provisional``; importing that year's schedule recomputes it.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from exchange.workdays.calendar import WorkingDayCalendar

_ONE_DAY = timedelta(days=1)
# A deadline never needs more than this many calendar days per working day (Spring Festival
# plus weekends is the longest run off); a larger count means a broken calendar.
_MAX_CALENDAR_DAYS_PER_WORKING_DAY = 30


@dataclass(frozen=True)
class ComputedDeadline:
    due_date: date
    due_at: datetime
    remind_at: datetime
    provisional: bool


def working_day_deadline(
    start: datetime, working_days: int, calendar: WorkingDayCalendar
) -> ComputedDeadline:
    """The deadline ``working_days`` working days after the instant ``start``."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if working_days < 1:
        raise ValueError("a deadline is at least one working day")
    zone = calendar.zone
    day = start.astimezone(zone).date()
    counted = 0
    provisional = False
    limit = working_days * _MAX_CALENDAR_DAYS_PER_WORKING_DAY
    for _ in range(limit):
        day += _ONE_DAY
        if not calendar.has_schedule(day.year):
            provisional = True
        if calendar.is_working_day(day):
            counted += 1
            if counted == working_days:
                break
    else:
        raise ValueError(f"no {working_days} working days within {limit} days of {start}")
    return ComputedDeadline(
        due_date=day,
        due_at=_local_midnight(day + _ONE_DAY, zone),
        remind_at=_local_midnight(day, zone),
        provisional=provisional,
    )


def working_days_left(at: datetime, due_date: date, calendar: WorkingDayCalendar) -> int:
    """Working days after the local day of ``at`` up to and including ``due_date``.

    Used when a deadline pauses: the day of the pause is spent, the rest is kept.
    """
    day = at.astimezone(calendar.zone).date()
    left = 0
    while day < due_date:
        day += _ONE_DAY
        if calendar.is_working_day(day):
            left += 1
    return left


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)
