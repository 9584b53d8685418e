"""The steward's overview in charts: the validation pass rate per day, and which kinds of check
fail most."""

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from exchange.charts import Chart, Series, days_until
from exchange.db import local_date
from exchange.i18n import Message
from quality.models import ValidationRun
from quality.suites import KINDS

DAYS = 60
# The reports read for the kinds of failing check: the newest, enough for any city's two months.
REPORTS_READ = 5_000


def overview_charts(session: Session, *, now: datetime, zone: ZoneInfo) -> list[Chart]:
    start = now - timedelta(days=DAYS)
    return [_pass_rate(session, start, now, zone), _failing_kinds(session, start)]


def _pass_rate(session: Session, start: datetime, now: datetime, zone: ZoneInfo) -> Chart:
    day = local_date(ValidationRun.finished_at, zone, session.get_bind().dialect.name)
    counted: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for on, runs, passed in session.execute(
        select(day, func.count(), func.sum(case((ValidationRun.passed.is_(True), 1), else_=0)))
        .where(ValidationRun.finished_at >= start)
        .group_by(day)
    ):  # fmt: skip
        counted[str(on)] = (int(runs), int(passed or 0))
    days = days_until(now, DAYS, zone)
    return Chart(
        key="pass_rate",
        title=Message("Validation pass rate per day"),
        kind="line",
        unit="share",
        category_title=Message("Day"),
        categories=days,
        series=[
            Series(
                Message("Loads that passed their checks"),
                [round(counted[d][1] / counted[d][0], 4) if counted[d][0] else None for d in days],
            ),
            Series(Message("Validation runs"), [counted[d][0] for d in days], unit="count"),
        ],
    )


def _failing_kinds(session: Session, start: datetime) -> Chart:
    failing: Counter[str] = Counter()
    for report in session.scalars(
        select(ValidationRun.report)
        .where(ValidationRun.finished_at >= start, ValidationRun.passed.is_(False))
        .order_by(ValidationRun.finished_at.desc())
        .limit(REPORTS_READ)
    ):
        failing.update(c["kind"] for c in report["checks"] if not c["success"])
    kinds = [kind for kind, _ in failing.most_common()]
    return Chart(
        key="failing_kinds",
        title=Message("Failing checks by kind"),
        kind="bar",
        unit="count",
        category_title=Message("Kind of check"),
        categories=[Message(KINDS.get(kind, kind)) for kind in kinds],
        series=[Series(Message("Failed in validation runs"), [failing[k] for k in kinds])],
        note=Message("Validation runs of the last {days} days.", days=DAYS),
    )
