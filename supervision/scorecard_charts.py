"""Each scorecard indicator over the year (R20), one chart each with a line per department, from
the cards stored month by month (the daily DAG computes the running month's)."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange.charts import Chart, Series
from exchange.i18n import Message
from exchange.identity.models import Department
from supervision.models import Scorecard
from supervision.scorecard_exports import LABELS, SHARES
from supervision.scorecards import COLUMNS

INDICATORS = [column for column in COLUMNS if column in SHARES]  # in the scorecard's order


def year_charts(session: Session, year: int) -> list[Chart]:
    months = [f"{year:04d}-{month:02d}" for month in range(1, 13)]
    names = dict(session.execute(select(Department.id, Department.name)).all())
    cards: dict[int, dict[str, dict[str, Any]]] = {}
    for card in session.scalars(select(Scorecard).where(Scorecard.period.in_(months))):
        cards.setdefault(card.department_id, {})[card.period] = card.figures
    kept = [m for m in months if any(m in by_month for by_month in cards.values())]
    ranked = sorted(cards, key=lambda department: names.get(department, ""))

    def lines(indicator: str) -> list[Series]:
        found = []
        for department in ranked:
            values = [_share(cards[department].get(m, {}).get(indicator)) for m in kept]
            if any(v is not None for v in values):
                found.append(Series(names.get(department, str(department)), values))
        return found

    return [
        Chart(
            key=f"year_{indicator}",
            title=Message("{indicator} by month, {year}", indicator=LABELS[indicator], year=year),
            kind="line",
            unit="share",
            category_title=Message("Month"),
            categories=kept,
            series=lines(indicator),
        )
        for indicator in INDICATORS
    ]


def _share(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
