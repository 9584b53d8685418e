"""R23: working days follow the official PRC calendar, in Asia/Shanghai; unknown years are provisional."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from exchange.workdays import WorkingDayCalendar, working_day_deadline, working_days_left
from tests.conftest import SHANGHAI, local

CALENDAR = WorkingDayCalendar(SHANGHAI)


def due(start: datetime, days: int, calendar: WorkingDayCalendar = CALENDAR) -> date:
    return working_day_deadline(start, days, calendar).due_date


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-09-20", True),  # Sunday, make-up working day before Mid-Autumn
        ("2026-09-25", False),  # Mid-Autumn
        ("2026-09-27", False),
        ("2026-10-01", False),  # National Day
        ("2026-10-07", False),
        ("2026-10-10", True),  # Saturday, make-up working day
        ("2026-02-14", True),  # Saturday before Spring Festival
        ("2026-02-15", False),
        ("2026-02-23", False),  # Monday, still Spring Festival
        ("2026-02-28", True),  # Saturday after Spring Festival
        ("2026-11-28", False),  # an ordinary Saturday
        ("2026-11-24", True),  # an ordinary Tuesday
    ],
)
def test_r23_official_2026_calendar(day: str, working: bool) -> None:
    assert CALENDAR.is_working_day(date.fromisoformat(day)) is working


def test_r23_mid_autumn_is_skipped() -> None:
    # Thursday 24 Sept: 25-27 off, so days 1-3 are Mon 28, Tue 29, Wed 30.
    assert due(local(2026, 9, 24, 15, 0), 3) == date(2026, 9, 30)


def test_r23_national_day_is_skipped_and_saturday_10_10_counts() -> None:
    # Wednesday 30 Sept: 1-7 Oct off; Thu 8 (1), Fri 9 (2), Sat 10 make-up day (3).
    assert due(local(2026, 9, 30, 9, 0), 3) == date(2026, 10, 10)


def test_r23_sunday_make_up_day_counts() -> None:
    # Friday 18 Sept: Saturday 19 off, Sunday 20 is a working day.
    assert due(local(2026, 9, 18, 11, 0), 1) == date(2026, 9, 20)


def test_r23_spring_festival_2026() -> None:
    assert due(local(2026, 2, 13, 10, 0), 1) == date(2026, 2, 14)  # Saturday worked
    assert due(local(2026, 2, 14, 10, 0), 1) == date(2026, 2, 24)  # 15-23 off
    assert due(local(2026, 2, 27, 10, 0), 1) == date(2026, 2, 28)  # Saturday worked
    assert due(local(2026, 2, 13, 10, 0), 5) == date(2026, 2, 27)


def test_r23_submission_at_2359_counts_from_the_next_working_day() -> None:
    assert due(local(2026, 11, 24, 23, 59), 1) == date(2026, 11, 25)
    # One minute later it is Wednesday in Shanghai, though still Tuesday in UTC.
    one_minute_later = local(2026, 11, 25, 0, 0).astimezone(ZoneInfo("UTC"))
    assert one_minute_later.date() == date(2026, 11, 24)
    assert due(one_minute_later, 1) == date(2026, 11, 26)


def test_r23_submission_on_a_holiday_starts_on_the_next_working_day() -> None:
    assert due(local(2026, 10, 3, 14, 0), 1) == date(2026, 10, 8)
    assert due(local(2026, 10, 3, 14, 0), 3) == date(2026, 10, 10)


def test_r23_deadline_expires_at_the_end_of_its_day_and_reminds_when_it_begins() -> None:
    computed = working_day_deadline(local(2026, 9, 30, 9, 0), 3, CALENDAR)
    assert computed.due_at == local(2026, 10, 11, 0, 0)
    assert computed.remind_at == local(2026, 10, 10, 0, 0)
    assert computed.provisional is False


def test_r23_deadline_across_year_end_into_an_unknown_year_is_provisional() -> None:
    # Wednesday 30 Dec 2026: Thu 31 (1); 2027 has no schedule, so Fri 1 Jan counts (2), Mon 4 (3).
    computed = working_day_deadline(local(2026, 12, 30, 10, 0), 3, CALENDAR)
    assert computed.due_date == date(2027, 1, 4)
    assert computed.provisional is True


def test_r23_imported_schedule_for_2027_makes_it_official() -> None:
    calendar = WorkingDayCalendar(SHANGHAI, {date(2027, 1, 1): False}, imported_years=[2027])
    computed = working_day_deadline(local(2026, 12, 30, 10, 0), 3, calendar)
    assert computed.due_date == date(2027, 1, 5)
    assert computed.provisional is False


def test_r23_deadline_within_2026_is_not_provisional() -> None:
    assert working_day_deadline(local(2026, 12, 28, 10, 0), 3, CALENDAR).provisional is False


def test_working_days_left_counts_days_after_today() -> None:
    # From Friday 18 Sept: Sun 20 (make-up), Mon 21, Tue 22 are left before Tue 22.
    assert working_days_left(local(2026, 9, 18, 10, 0), date(2026, 9, 22), CALENDAR) == 3
    assert working_days_left(local(2026, 9, 22, 10, 0), date(2026, 9, 22), CALENDAR) == 0


def test_naive_start_and_zero_days_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        working_day_deadline(datetime(2026, 1, 5, 10, 0), 1, CALENDAR)
    with pytest.raises(ValueError, match="at least one"):
        working_day_deadline(local(2026, 1, 5, 10, 0), 0, CALENDAR)


def test_every_day_of_2026_agrees_with_chinesecalendar() -> None:
    import chinese_calendar

    day = date(2026, 1, 1)
    while day.year == 2026:
        assert CALENDAR.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)
