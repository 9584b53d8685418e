"""Times and days as people read them: in the city's time zone, in the format of their language.

The platform stores instants in UTC (SQLite hands them back without a zone: those are UTC too); a
person in the city reads 13:14 where the record says 05:14Z. Calendar days (a deadline's due date,
a contract's first day) have no time of day and are only formatted.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def _local(value: datetime, zone: ZoneInfo) -> datetime:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(zone)


def shown_day(value: date | datetime | None, *, zone: ZoneInfo, lang: str) -> str:
    """2026年11月30日 (zh) or 2026-11-30 (en): an instant's day in the city, or a calendar day."""
    if value is None:
        return ""
    day = _local(value, zone).date() if isinstance(value, datetime) else value
    return f"{day.year}年{day.month}月{day.day}日" if lang == "zh" else day.isoformat()


def shown_time(value: datetime | None, *, zone: ZoneInfo, lang: str, seconds: bool = False) -> str:
    """2026年11月30日 13:14 (zh) or 2026-11-30 13:14 (en), in the city's time zone."""
    if value is None:
        return ""
    local = _local(value, zone)
    clock = local.strftime("%H:%M:%S" if seconds else "%H:%M")
    return f"{shown_day(local, zone=zone, lang=lang)} {clock}"
