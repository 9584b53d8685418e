"""A chart as figures: what a portal page draws and what its table shows are one object.

Each :class:`Chart` is sent as JSON by the page's data endpoint and drawn by the portal's script,
and the same object is rendered as the table a reader without script (or with a screen reader)
gets; so a picture can never say something its numbers do not.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from exchange.i18n import Message

Kind = Literal["line", "bar", "heatmap", "sankey"]
# How the values read: shares are 0..1 and shown as percentages.
Unit = Literal["rows", "count", "share", "days"]


@dataclass(frozen=True)
class Series:
    name: Message | str  # a department's name is not translated
    values: list[float | int | None]
    unit: "Unit | None" = None  # when not the chart's: drawn against a second axis

    def shown(self, chart_unit: "Unit") -> "Unit":
        return self.unit or chart_unit


@dataclass(frozen=True)
class Link:
    """A flow of a sankey chart: ``value`` rows of ``source``'s data read by ``target``."""

    source: str
    target: str
    value: int
    reads: int
    href: str  # where the flow's grants and usage statements are listed


@dataclass(frozen=True)
class Chart:
    key: str
    title: Message
    kind: Kind
    unit: Unit
    category_title: Message
    categories: Sequence[Message | str]
    series: list[Series]
    links: list[Link] = field(default_factory=list)
    note: Message | None = None

    def as_json(self, language: str) -> dict[str, Any]:
        def said(text: Message | str) -> str:
            return text.in_language(language) if isinstance(text, Message) else text

        return {
            "key": self.key,
            "title": said(self.title),
            "kind": self.kind,
            "unit": self.unit,
            "category_title": said(self.category_title),
            # A chart without series has nothing to show of any category.
            "categories": [said(c) for c in self.categories] if self.series else [],
            "series": [
                {"name": said(s.name), "values": s.values, "unit": s.shown(self.unit)}
                for s in self.series
            ],
            "links": [vars(link) for link in self.links],
            "note": None if self.note is None else said(self.note),
        }


def shown_value(value: float | int | None, unit: Unit) -> str:
    """A value as the table shows it: shares as percentages, counts with separators."""
    if value is None:
        return "—"
    if unit == "share":
        return f"{value * 100:.1f}%"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def days_until(now: datetime, days: int, zone: ZoneInfo) -> list[str]:
    """The city's days from ``days`` days before ``now`` to its day, as a chart's categories."""
    first = (now - timedelta(days=days)).astimezone(zone).date()
    return [f"{first + timedelta(days=n):%Y-%m-%d}" for n in range(days + 1)]
