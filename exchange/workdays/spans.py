"""Lengths of time a deadline may have (R34): working days (R23), elapsed hours, and calendar days
and months in the city's time zone — and the deadline each gives from a starting instant.

- Working days: :func:`working_day_deadline` (the day of the start never counts).
- Hours are elapsed hours, through nights, weekends and holidays: 24 hours from 17:00 on the eve
  of National Day fall due at 17:00 on National Day. The reminder comes when a quarter is left.
- Days are calendar days: like working days, the day of the start is day zero and the deadline
  ends with the Nth day after it; the reminder comes when the last day begins.
- Months are calendar months: the deadline ends with the same day of the month N months later, or
  that month's last day when it has no such day (按月计算期间，到期月的对应日为期间的最后一日；没有
  对应日的，月末日为期间的最后一日); the reminder comes 30 days before.
"""

import calendar as month_days
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from exchange.workdays.calendar import WorkingDayCalendar
from exchange.workdays.deadline import ComputedDeadline, working_day_deadline


class TimeUnit(StrEnum):
    WORKING_DAYS = "wd"
    HOURS = "h"
    DAYS = "d"
    MONTHS = "mo"


_SPAN = re.compile(r"^\s*([1-9][0-9]{0,3})\s*(wd|h|d|mo)\s*$")
_MONTH_REMINDER = timedelta(days=30)


@dataclass(frozen=True)
class Span:
    """A length of time: ``3wd``, ``24h``, ``30d``, ``6mo``."""

    amount: int
    unit: TimeUnit

    def __post_init__(self) -> None:
        if self.amount < 1:
            raise ValueError("a span is at least one unit long")

    def __str__(self) -> str:
        return f"{self.amount}{self.unit.value}"

    @classmethod
    def parse(cls, text: str) -> "Span":
        found = _SPAN.match(text)
        if found is None:
            raise ValueError(
                f"{text!r} is not a length of time: write e.g. 3wd (working days), 24h (hours), "
                "30d (calendar days) or 6mo (months)"
            )
        return cls(int(found.group(1)), TimeUnit(found.group(2)))


def deadline_after(start: datetime, span: Span, calendar: WorkingDayCalendar) -> ComputedDeadline:
    """The deadline ``span`` after the instant ``start``."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    zone = calendar.zone
    if span.unit == TimeUnit.WORKING_DAYS:
        return working_day_deadline(start, span.amount, calendar)
    if span.unit == TimeUnit.HOURS:
        due_at = start + timedelta(hours=span.amount)
        return ComputedDeadline(
            due_date=due_at.astimezone(zone).date(),
            due_at=due_at,
            remind_at=due_at - timedelta(hours=span.amount) / 4,
            provisional=False,
        )
    first = start.astimezone(zone).date()
    if span.unit == TimeUnit.DAYS:
        last = first + timedelta(days=span.amount)
        return ComputedDeadline(last, _midnight(last + timedelta(days=1), zone),
                                _midnight(last, zone), False)  # fmt: skip
    last = add_months(first, span.amount)
    due_at = _midnight(last + timedelta(days=1), zone)
    return ComputedDeadline(last, due_at, max(start, due_at - _MONTH_REMINDER), False)


def add_months(day: date, months: int) -> date:
    """The same day of the month ``months`` later, or that month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, month_days.monthrange(year, month)[1]))


def hours_left(at: datetime, due_at: datetime) -> int:
    """For a paused deadline counted in hours, days or months: the whole hours left (at least
    one). It resumes counted in hours: the elapsed time it had left is what it keeps."""
    seconds = (due_at - at).total_seconds()
    return max(1, -int(-seconds // 3600))


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)
