"""Which days are working days.

Official holidays and make-up working days (调休) come from ``chinesecalendar`` for the years it
knows, overridden by the schedules an administrator imports. A year that neither source covers
counts weekends only, and whatever is computed over it is *provisional*.
"""

from collections.abc import Iterable, Mapping
from datetime import date
from zoneinfo import ZoneInfo

from chinese_calendar import constants as _official

_OFFICIAL_HOLIDAYS = frozenset(_official.holidays)
_OFFICIAL_WORKDAYS = frozenset(_official.workdays)
BUILTIN_YEARS = frozenset(range(min(_OFFICIAL_HOLIDAYS).year, max(_OFFICIAL_HOLIDAYS).year + 1))


class WorkingDayCalendar:
    """The working days of the city whose time zone is ``zone``."""

    def __init__(
        self,
        zone: ZoneInfo,
        overrides: Mapping[date, bool] | None = None,
        imported_years: Iterable[int] = (),
    ) -> None:
        self.zone = zone
        self._overrides = dict(overrides or {})
        self._imported_years = frozenset(imported_years)

    def is_working_day(self, day: date) -> bool:
        override = self._overrides.get(day)
        if override is not None:
            return override
        if day.year in BUILTIN_YEARS and day.year not in self._imported_years:
            if day in _OFFICIAL_WORKDAYS:
                return True
            if day in _OFFICIAL_HOLIDAYS:
                return False
        return day.weekday() < 5

    def has_schedule(self, year: int) -> bool:
        """Whether the official schedule of ``year`` is known (built in or imported)."""
        return year in BUILTIN_YEARS or year in self._imported_years
