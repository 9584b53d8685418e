"""The bureau's dashboard (数据共享驾驶舱): how sharing goes across the city, month by month.

Every figure is a :class:`~exchange.charts.Chart` of a window of whole months in the city's
time, for every department or one. The measures are the scorecards' (R20): rows shared are rows
other departments read, whole or masked (a department's reads of its own data are not sharing);
requests decided (R14) and quality issues answered (R19) on time count each deadline once, in
the month its outcome became known (``scorecards.deadlines_on_time``).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from collection.freshness import freshness
from collection.vocab import Freshness
from exchange.charts import Chart, Link, Series
from exchange.db import local_date
from exchange.errors import InvalidInput
from exchange.i18n import Message
from exchange.identity.models import Department
from exchange.identity.visibility import Records, sees_all
from exchange.principal import Principal
from exchange.workdays import WorkingDayCalendar, working_days_left
from policies.models import REVIEW, DataUsage, Suspension
from quality.models import FEEDBACK, QualityIssue, ValidationRun
from quality.vocab import IssueState
from supervision import scorecards
from supervision.models import Violation

if TYPE_CHECKING:
    from exchange.runtime import Platform

SHARED = ("read", "masked")  # accesses that hand over rows; a verification returns none
AGE_BUCKETS = ((0, 2), (3, 5), (6, 10), (11, None))  # working days; R19 allows 5
HEAT_MAP_WEEKS = 12


@dataclass(frozen=True)
class Window:
    """Whole months ``first``..``last`` (inclusive) of the city, for one department or all."""

    first: str  # 2026-06
    last: str  # 2026-11
    department_id: int | None
    zone: ZoneInfo

    @property
    def months(self) -> list[str]:
        year, month = (int(part) for part in self.first.split("-"))
        found = []
        while f"{year:04d}-{month:02d}" <= self.last:
            found.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return (
            scorecards.period_bounds(self.first, self.zone)[0],
            scorecards.period_bounds(self.last, self.zone)[1],
        )


def window(
    actor: Principal,
    *,
    zone: ZoneInfo,
    now: datetime,
    first: str = "",
    last: str = "",
    department_id: int | None = None,
) -> Window:
    """The window asked for, six months to this one by default. Only the bureau's oversight roles
    choose the department; everyone else sees their own."""
    this_month = now.astimezone(zone).date().replace(day=1)
    six_back = (this_month - timedelta(days=150)).replace(day=1)
    first, last = first or f"{six_back:%Y-%m}", last or f"{this_month:%Y-%m}"
    for text in (first, last):
        scorecards.period_bounds(text, zone)  # refuses what is not a month
        if len(text) != 7:
            raise InvalidInput("a month is written 2026-11, not {period!r}", period=text)
    if first > last:
        raise InvalidInput(
            "the window starts {first}, after it ends {last}", first=first, last=last
        )
    if len(Window(first, last, None, zone).months) > 36:
        raise InvalidInput("a window is at most 36 months", detail={"field": "first"})
    if not sees_all(actor, Records.SUPERVISION):
        department_id = actor.department_id
    return Window(first, last, department_id, zone)


def charts(
    session: Session, shown: Window, *, now: datetime, calendar: WorkingDayCalendar
) -> list[Chart]:
    """Every chart of the dashboard, in the order the page shows them."""
    names = dict(session.execute(select(Department.id, Department.name)).all())
    usage = _usage(session, shown)
    return [
        _shared_per_day(usage, shown, now),
        _shared_per_month(usage, shown),
        _by_department(usage, names),
        _on_time(session, shown, now),
        _validation(session, shown),
        _freshness(session, shown, names, now),
        _issue_ages(session, shown, now, calendar),
        _ranking(session, shown, names, now),
        _enforcement(session, shown),
        _flows(usage, names, shown),
    ]


@dataclass(frozen=True)
class _Use:
    day: date
    provider: int
    consumer: int
    grant_id: int | None
    rows: int
    reads: int


def _usage(session: Session, shown: Window) -> list[_Use]:
    """Rows other departments read in the window, per day, provider, consumer and grant (grouped
    by the database: a busy city has millions of reads)."""
    start, end = shown.bounds
    day = local_date(DataUsage.at, shown.zone, session.get_bind().dialect.name)
    query = (
        select(day, DataUsage.provider_department_id, DataUsage.consumer_department_id,
               DataUsage.grant_id, func.sum(DataUsage.rows), func.count())
        .where(DataUsage.at >= start, DataUsage.at < end, DataUsage.access.in_(SHARED),
               DataUsage.consumer_department_id != DataUsage.provider_department_id)
        .group_by(day, DataUsage.provider_department_id, DataUsage.consumer_department_id,
                  DataUsage.grant_id)
    )  # fmt: skip
    if shown.department_id is not None:
        query = query.where(
            (DataUsage.provider_department_id == shown.department_id)
            | (DataUsage.consumer_department_id == shown.department_id)
        )
    return [
        _Use(_as_date(on), provider, consumer, grant, int(rows or 0), int(reads))
        for on, provider, consumer, grant, rows, reads in session.execute(query)
    ]


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _shared_per_day(usage: list[_Use], shown: Window, now: datetime) -> Chart:
    """Every day of the window up to today: the days to come are not zeros."""
    start, end = (moment.astimezone(shown.zone).date() for moment in shown.bounds)
    end = min(end, now.astimezone(shown.zone).date() + timedelta(days=1))
    days = [start + timedelta(days=n) for n in range((end - start).days)]
    rows: dict[date, int] = defaultdict(int)
    reads: dict[date, int] = defaultdict(int)
    for use in usage:
        rows[use.day] += use.rows
        reads[use.day] += use.reads
    return Chart(
        key="shared_per_day",
        title=Message("Rows shared and reads per day"),
        kind="line",
        unit="rows",
        category_title=Message("Day"),
        categories=[f"{d:%Y-%m-%d}" for d in days],
        series=[
            Series(Message("Rows shared"), [rows[d] for d in days]),
            Series(Message("Reads"), [reads[d] for d in days], unit="count"),
        ],
    )


def _shared_per_month(usage: list[_Use], shown: Window) -> Chart:
    rows: dict[str, int] = defaultdict(int)
    reads: dict[str, int] = defaultdict(int)
    for use in usage:
        rows[f"{use.day:%Y-%m}"] += use.rows
        reads[f"{use.day:%Y-%m}"] += use.reads
    months = shown.months
    return Chart(
        key="shared_per_month",
        title=Message("Rows shared and reads per month"),
        kind="bar",
        unit="rows",
        category_title=Message("Month"),
        categories=months,
        series=[
            Series(Message("Rows shared"), [rows[m] for m in months]),
            Series(Message("Reads"), [reads[m] for m in months], unit="count"),
        ],
    )


def _by_department(usage: list[_Use], names: dict[int, str]) -> Chart:
    provided: dict[int, int] = defaultdict(int)
    consumed: dict[int, int] = defaultdict(int)
    for use in usage:
        provided[use.provider] += use.rows
        consumed[use.consumer] += use.rows
    ranked = sorted(
        {*provided, *consumed}, key=lambda d: (-provided[d] - consumed[d], names.get(d, ""))
    )
    return Chart(
        key="by_department",
        title=Message("Rows provided and consumed by department"),
        kind="bar",
        unit="rows",
        category_title=Message("Department"),
        categories=[names.get(d, str(d)) for d in ranked],
        series=[
            Series(Message("Rows provided"), [provided[d] for d in ranked]),
            Series(Message("Rows consumed"), [consumed[d] for d in ranked]),
        ],
    )


def _on_time(session: Session, shown: Window, now: datetime) -> Chart:
    requests, issues = [], []
    for month in shown.months:
        start, end = scorecards.period_bounds(month, shown.zone)
        as_of = min(end, now)
        requests.append(scorecards.deadlines_on_time(
            session, REVIEW, shown.department_id, start, end, as_of)[0])  # fmt: skip
        issues.append(scorecards.deadlines_on_time(
            session, FEEDBACK, shown.department_id, start, end, as_of)[0])  # fmt: skip
    return Chart(
        key="on_time",
        title=Message("Requests decided and quality issues answered on time"),
        kind="line",
        unit="share",
        category_title=Message("Month"),
        categories=shown.months,
        series=[
            Series(Message("Requests decided on time (R14)"), requests),
            Series(Message("Quality issues answered on time (R19)"), issues),
        ],
        note=Message("A month without any deadline settled shows no value."),
    )


def _validation(session: Session, shown: Window) -> Chart:
    from catalog.models import Resource

    start, end = shown.bounds
    day = local_date(ValidationRun.finished_at, shown.zone, session.get_bind().dialect.name)
    query = (
        select(day, func.count(), func.sum(case((ValidationRun.passed.is_(True), 1), else_=0)))
        .join(Resource, Resource.id == ValidationRun.resource_id)
        .where(ValidationRun.finished_at >= start, ValidationRun.finished_at < end)
        .group_by(day)
    )
    if shown.department_id is not None:
        query = query.where(Resource.provider_department_id == shown.department_id)
    runs: dict[str, int] = defaultdict(int)
    passed: dict[str, int] = defaultdict(int)
    for on, count, good in session.execute(query):
        runs[f"{_as_date(on):%Y-%m}"] += int(count)
        passed[f"{_as_date(on):%Y-%m}"] += int(good or 0)
    months = shown.months
    return Chart(
        key="validation",
        title=Message("Validation pass rate"),
        kind="line",
        unit="share",
        category_title=Message("Month"),
        categories=months,
        series=[
            Series(
                Message("Loads that passed their checks"),
                [round(passed[m] / runs[m], 4) if runs[m] else None for m in months],
            ),
            Series(Message("Validation runs"), [runs[m] for m in months], unit="count"),
        ],
    )


def _freshness(session: Session, shown: Window, names: dict[int, str], now: datetime) -> Chart:
    """Each department's share of resources on time at the end of each of the window's last
    weeks: the heat map shows who falls behind, and since when."""
    end = min(shown.bounds[1], now)
    ends = [end - timedelta(weeks=n) for n in reversed(range(HEAT_MAP_WEEKS))]
    ends = [moment for moment in ends if moment > shown.bounds[0]]
    ids = dict(session.execute(select(Department.code, Department.id)).all())
    shares: dict[int, list[float | int | None]] = defaultdict(lambda: [None] * len(ends))
    for column, moment in enumerate(ends):
        by_department: dict[int, list[bool]] = defaultdict(list)
        for state in freshness(session, now=moment, provider_department_id=shown.department_id):
            by_department[ids[state.provider_code]].append(state.status == Freshness.ON_TIME)
        for department, fresh in by_department.items():
            shares[department][column] = round(sum(fresh) / len(fresh), 4)
    ranked = sorted(shares, key=lambda d: names.get(d, ""))
    return Chart(
        key="freshness",
        title=Message("Resources on time by department and week"),
        kind="heatmap",
        unit="share",
        category_title=Message("Week ending"),
        categories=[f"{m.astimezone(shown.zone):%Y-%m-%d}" for m in ends],
        series=[Series(names.get(d, str(d)), shares[d]) for d in ranked],
    )


def _issue_ages(
    session: Session, shown: Window, now: datetime, calendar: WorkingDayCalendar
) -> Chart:
    """Quality issues not answered yet, by working days since they were raised (R19: 5)."""
    query = select(QualityIssue.opened_at).where(
        QualityIssue.state.in_([IssueState.OPEN, IssueState.ACKNOWLEDGED])
    )
    if shown.department_id is not None:
        query = query.where(QualityIssue.department_id == shown.department_id)
    counts = [0] * len(AGE_BUCKETS)
    today = now.astimezone(calendar.zone).date()
    for opened in session.scalars(query):
        age = working_days_left(opened, today, calendar)  # working days since it was raised
        for index, (low, high) in enumerate(AGE_BUCKETS):
            if age >= low and (high is None or age <= high):
                counts[index] += 1
    return Chart(
        key="issue_ages",
        title=Message("Open quality issues by age"),
        kind="bar",
        unit="count",
        category_title=Message("Working days since raised"),
        categories=[
            f"{low}–{high}" if high is not None else f"> {low - 1}" for low, high in AGE_BUCKETS
        ],
        series=[Series(Message("Open quality issues"), list(counts))],
        note=Message("Issues must be answered within 5 working days (R19)."),
    )


def _ranking(session: Session, shown: Window, names: dict[int, str], now: datetime) -> Chart:
    """The departments by their overall score (R20) in the window's last month, beside the month
    before; computed afresh, so the ranking is never older than the data."""
    last = shown.months[-1]
    before = shown.months[-2] if len(shown.months) > 1 else None
    active = session.scalars(select(Department.id).where(Department.active.is_(True))).all()

    def overall(month: str) -> dict[int, float | None]:
        start, end = scorecards.period_bounds(month, shown.zone)
        return {d: scorecards.figures(session, d, start, end, now).overall for d in active}

    now_scores = overall(last)
    then_scores = overall(before) if before else {}
    ranked = sorted(
        (d for d in active if now_scores[d] is not None),
        key=lambda d: (-(now_scores[d] or 0), names.get(d, "")),
    )
    if shown.department_id is not None:
        ranked = [d for d in ranked if d == shown.department_id] or ranked[:0]
    return Chart(
        key="ranking",
        title=Message("Department scorecard ranking, {month}", month=last),
        kind="bar",
        unit="share",
        category_title=Message("Department"),
        categories=[names.get(d, str(d)) for d in ranked],
        series=[
            Series(Message("Overall score"), [now_scores[d] for d in ranked]),
            Series(
                Message("Change from the month before"),
                [_change(now_scores[d], then_scores.get(d)) for d in ranked],
            ),
        ],
    )


def _change(now: float | None, then: float | None) -> float | None:
    return None if now is None or then is None else round(now - then, 4)


def _enforcement(session: Session, shown: Window) -> Chart:
    start, end = shown.bounds
    suspended = select(Suspension.suspended_at).where(
        Suspension.suspended_at >= start, Suspension.suspended_at < end
    )
    found = select(Violation.detected_at).where(
        Violation.detected_at >= start, Violation.detected_at < end
    )
    if shown.department_id is not None:
        suspended = suspended.where(Suspension.department_id == shown.department_id)
        found = found.where(Violation.department_id == shown.department_id)
    months = shown.months

    def per_month(moments: list[datetime | None]) -> list[float | int | None]:
        counted = defaultdict(int, _month_counts(moments, shown.zone))
        return [counted[m] for m in months]

    return Chart(
        key="enforcement",
        title=Message("Suspensions and violations"),
        kind="bar",
        unit="count",
        category_title=Message("Month"),
        categories=months,
        series=[
            Series(Message("Suspensions begun"), per_month(list(session.scalars(suspended)))),
            Series(Message("Violations found"), per_month(list(session.scalars(found)))),
        ],
    )


def _month_counts(moments: list[datetime | None], zone: ZoneInfo) -> dict[str, int]:
    counted: dict[str, int] = defaultdict(int)
    for moment in moments:
        if moment is not None:
            counted[f"{moment.astimezone(zone):%Y-%m}"] += 1
    return counted


def _flows(usage: list[_Use], names: dict[int, str], shown: Window) -> Chart:
    """Whose data reaches whom, with volumes: one link per provider and consumer, opening the
    list of the grants behind it and their usage statements (R17)."""
    rows: dict[tuple[int, int], int] = defaultdict(int)
    reads: dict[tuple[int, int], int] = defaultdict(int)
    for use in usage:
        rows[use.provider, use.consumer] += use.rows
        reads[use.provider, use.consumer] += use.reads
    ordered = sorted(rows, key=lambda pair: -rows[pair])
    links = [
        Link(
            source=names.get(provider, str(provider)),
            target=names.get(consumer, str(consumer)),
            value=rows[provider, consumer],
            reads=reads[provider, consumer],
            href=f"/supervision/flows/{provider}/{consumer}?first={shown.first}&last={shown.last}",
        )
        for provider, consumer in ordered
    ]
    return Chart(
        key="flows",
        title=Message("Data flows between departments"),
        kind="sankey",
        unit="rows",
        category_title=Message("Providing department → consuming department"),
        categories=[f"{link.source} → {link.target}" for link in links],
        series=[
            Series(Message("Rows shared"), [link.value for link in links]),
            Series(Message("Reads"), [link.reads for link in links], unit="count"),
        ],
        links=links,
    )


def flow_grants(
    session: Session, shown: Window, provider_id: int, consumer_id: int
) -> list[tuple[int | None, int, int]]:
    """(grant, rows, reads) of one flow in the window: the grants behind a link of the map."""
    start, end = shown.bounds
    return [
        (grant, int(rows or 0), int(reads))
        for grant, rows, reads in session.execute(
            select(DataUsage.grant_id, func.sum(DataUsage.rows), func.count())
            .where(
                and_(
                    DataUsage.provider_department_id == provider_id,
                    DataUsage.consumer_department_id == consumer_id,
                    DataUsage.at >= start,
                    DataUsage.at < end,
                    DataUsage.access.in_(SHARED),
                )
            )
            .group_by(DataUsage.grant_id)
            .order_by(func.sum(DataUsage.rows).desc())
        )
    ]


def as_json(
    session: Session,
    platform: "Platform",
    actor: Principal,
    language: str,
    *,
    first: str = "",
    last: str = "",
    department_id: int | None = None,
) -> dict[str, Any]:
    """The window and its charts, in ``language``: what the data endpoints answer."""
    now = platform.clock.now()
    shown = window(actor, zone=platform.settings.zone, now=now, first=first, last=last,
                   department_id=department_id)  # fmt: skip
    drawn = charts(session, shown, now=now, calendar=platform.calendar(session))
    return {
        "first": shown.first,
        "last": shown.last,
        "department_id": shown.department_id,
        "charts": [chart.as_json(language) for chart in drawn],
    }
