"""The use of shared data in a chart (R17): reads per day under each grant, for the usage page."""

from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exchange.charts import Chart, Series, days_until
from exchange.db import local_date
from exchange.i18n import Message
from exchange.principal import Principal
from policies.models import DataUsage
from policies.usage import Side, visible_usage

DAYS = 60
GRANTS_SHOWN = 6  # the busiest; the rest are summed


def reads_per_day(
    session: Session, *, actor: Principal, side: Side, now: datetime, zone: ZoneInfo
) -> Chart:
    start = now - timedelta(days=DAYS)
    day = local_date(DataUsage.at, zone, session.get_bind().dialect.name)
    query = (
        select(day, DataUsage.grant_id, func.count())
        .where(DataUsage.at >= start)
        .group_by(day, DataUsage.grant_id)
    )
    mine = visible_usage(actor, side)
    if mine is not None:
        query = query.where(mine)
    reads: dict[int | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for on, grant_id, count in session.execute(query):
        reads[grant_id][str(on)] += int(count)
    busiest = sorted(reads, key=lambda g: -sum(reads[g].values()))
    shown, rest = busiest[:GRANTS_SHOWN], busiest[GRANTS_SHOWN:]
    days = days_until(now, DAYS, zone)
    series = [
        Series(
            Message("Grant {grant}", grant=grant) if grant else Message("Unconditional data"),
            [reads[grant][d] for d in days],
        )
        for grant in shown
    ]
    if rest:
        series.append(
            Series(Message("Other grants"), [sum(reads[g][d] for g in rest) for d in days])
        )
    return Chart(
        key="reads_per_grant",
        title=Message("Reads per day by grant"),
        kind="line",
        unit="count",
        category_title=Message("Day"),
        categories=days,
        series=series,
    )
