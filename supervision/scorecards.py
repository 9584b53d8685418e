"""Department scorecards per month and per year (R20): how each department shares, comparable
across departments and exportable for the budget process.

Figures of a period [start, end), each as of the period's end or now, whichever comes first
(``as_of``): a period still running is judged on what has happened so far, never on a future.
- catalog completeness: mean share of recommended metadata filled in, over its published entries;
- validation pass rate: share of its resources' validation runs in the period that passed;
- fresh share: of its resources published by ``as_of``, the share on time then by the one
  freshness rule (collection.freshness), which the violations register and R11 enforcement use;
- requests answered on time (R14) and quality issues answered on time (R19): each deadline of the
  department counts once, in the period its outcome became known — on time when it was answered
  before it was due, late when it fell due unanswered (answered later or not at all);
- disputes lost: rulings in the period that granted what the department had refused or narrowed;
- rows provided and consumed: rows read of its data by other departments, and of other
  departments' data by it; a department's reads of its own data are neither;
- suspensions: grant suspensions (R11) that began in the period;
- project compliance (R27, R28, projects.compliance): its projects' failed sharing checks in the
  period, whether operation and maintenance funds are withheld, tenders filed late;
- overall: the mean of the shares that exist (completeness, validation, freshness, requests and
  issues on time), by which the departments are ranked.
"""

from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from catalog.models import Resource, ResourceVersion
from catalog.schemas import EntryDraft
from catalog.validation import completeness
from collection.freshness import freshness
from collection.vocab import Freshness
from exchange.deadlines.models import Deadline, DeadlineStatus
from exchange.errors import InvalidInput
from exchange.identity.models import Department
from policies.models import REVIEW, AccessRequest, DataUsage, Dispute, Suspension
from projects.compliance import compliance
from quality.models import FEEDBACK, ValidationRun
from supervision.models import Scorecard


@dataclass(frozen=True)
class Figures:
    catalog_completeness: float | None
    validation_pass_rate: float | None
    fresh_share: float | None
    requests_on_time: float | None
    requests_counted: int
    quality_issues_on_time: float | None
    quality_issues_counted: int
    disputes_lost: int
    rows_provided: int  # rows read by others, whole or masked
    rows_consumed: int
    masked_rows_provided: int  # of rows_provided, those served with items masked
    records_verified: int  # records others verified against the department's data
    suspensions: int
    sharing_vetoes: int
    funds_withheld: int
    late_filings: int
    overall: float | None  # the mean of the five shares above that exist; the ranking's key


COLUMNS = list(Figures.__dataclass_fields__)


def period_bounds(period: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """``2026-11`` → the month; ``2026`` → the year; local midnights of the city."""
    try:
        if len(period) == 4:
            year = int(period)
            first, last = date(year, 1, 1), date(year + 1, 1, 1)
        else:
            year, month = (int(part) for part in period.split("-"))
            first = date(year, month, 1)
            last = date(year + month // 12, month % 12 + 1, 1)
    except ValueError as error:
        raise InvalidInput(
            "a period is a year (2026) or a month (2026-11), not {period!r}",
            detail={"field": "period"},
            period=period,
        ) from error
    return datetime.combine(first, time.min, zone), datetime.combine(last, time.min, zone)


def _share(hits: int, total: int) -> float | None:
    return None if total == 0 else round(hits / total, 4)


def deadlines_on_time(
    session: Session,
    kind: str,
    department_id: int | None,
    start: datetime,
    end: datetime,
    as_of: datetime,
) -> tuple[float | None, int]:
    """The share of the department's (every department's with None) deadlines of ``kind``
    settled in the period that were met, and how many were settled: met when answered in
    [start, end) before they were due, missed when they fell due unanswered in [start, as_of)."""
    answered_in_time = (
        Deadline.stopped_at.is_not(None)
        & Deadline.overdue_at.is_(None)
        & (Deadline.stopped_at < Deadline.due_at)
    )
    mine = Deadline.kind == kind
    if department_id is not None:
        mine &= Deadline.assignee_department_id == department_id
    met = session.scalar(
        select(func.count()).where(
            mine, answered_in_time, Deadline.stopped_at >= start, Deadline.stopped_at < end
        )
    )
    missed = session.scalar(
        select(func.count()).where(
            mine, ~answered_in_time, Deadline.status != DeadlineStatus.PAUSED,
            Deadline.due_at >= start, Deadline.due_at < as_of,
        )
    )  # fmt: skip
    met, missed = int(met or 0), int(missed or 0)
    return _share(met, met + missed), met + missed


def figures(
    session: Session, department_id: int, start: datetime, end: datetime, now: datetime
) -> Figures:
    as_of = min(end, now)  # what is judged at a moment: freshness, deadlines fallen due
    states = freshness(session, now=as_of, provider_department_id=department_id)
    published = {state.code for state in states}
    versions = session.scalars(
        select(ResourceVersion)
        .join(Resource, Resource.published_version_id == ResourceVersion.id)
        .where(Resource.code.in_(published))
    ).all()
    scores = [completeness(EntryDraft.model_validate(version)) for version in versions]
    runs = session.execute(
        select(func.count(), func.sum(case((ValidationRun.passed.is_(True), 1), else_=0)))
        .join(Resource, Resource.id == ValidationRun.resource_id)
        .where(Resource.provider_department_id == department_id,
               ValidationRun.finished_at >= start, ValidationRun.finished_at < end)
    ).one()  # fmt: skip
    fresh = sum(1 for state in states if state.status == Freshness.ON_TIME)
    requests_rate, requests_counted = deadlines_on_time(
        session, REVIEW, department_id, start, end, as_of
    )
    issues_rate, issues_counted = deadlines_on_time(
        session, FEEDBACK, department_id, start, end, as_of
    )
    lost = session.scalar(
        select(func.count()).select_from(Dispute)
        .join(AccessRequest, AccessRequest.id == Dispute.request_id)
        .where(AccessRequest.provider_department_id == department_id, Dispute.state == "granted",
               Dispute.ruled_at >= start, Dispute.ruled_at < end)
    )  # fmt: skip

    def rows_read(side: InstrumentedAttribute[int], *accesses: str) -> int:
        """Rows others read (or records they verified), by the access they were served with."""
        total = session.scalar(
            select(func.coalesce(func.sum(DataUsage.rows), 0)).where(
                side == department_id,
                DataUsage.consumer_department_id != DataUsage.provider_department_id,
                DataUsage.access.in_(accesses),
                DataUsage.at >= start, DataUsage.at < end,
            )
        )  # fmt: skip
        return int(total or 0)

    suspensions = session.scalar(
        select(func.count()).select_from(Suspension).where(
            Suspension.department_id == department_id,
            Suspension.suspended_at >= start, Suspension.suspended_at < end,
        )
    )  # fmt: skip
    shares = [
        round(sum(scores) / len(scores), 4) if scores else None,
        _share(int(runs[1] or 0), int(runs[0] or 0)),
        _share(fresh, len(states)),
        requests_rate,
        issues_rate,
    ]
    known = [share for share in shares if share is not None]
    return Figures(
        catalog_completeness=shares[0],
        validation_pass_rate=shares[1],
        fresh_share=shares[2],
        requests_on_time=requests_rate, requests_counted=requests_counted,
        quality_issues_on_time=issues_rate, quality_issues_counted=issues_counted,
        disputes_lost=int(lost or 0),
        rows_provided=rows_read(DataUsage.provider_department_id, "read", "masked"),
        rows_consumed=rows_read(DataUsage.consumer_department_id, "read", "masked"),
        masked_rows_provided=rows_read(DataUsage.provider_department_id, "masked"),
        records_verified=rows_read(DataUsage.provider_department_id, "verify"),
        suspensions=int(suspensions or 0),
        **asdict(compliance(session, department_id, start, end, as_of)),
        overall=round(sum(known) / len(known), 4) if known else None,
    )  # fmt: skip


def compute(session: Session, *, period: str, zone: ZoneInfo, now: datetime) -> list[Scorecard]:
    """Compute (or recompute) every department's scorecard of ``period`` and store it."""
    start, end = period_bounds(period, zone)
    stored = []
    for department_id in session.scalars(
        select(Department.id).where(Department.active.is_(True)).order_by(Department.id)
    ):
        computed = asdict(figures(session, department_id, start, end, now))  # before adding the row
        card = session.scalar(
            select(Scorecard).where(
                Scorecard.department_id == department_id, Scorecard.period == period
            )
        )
        if card is None:
            card = Scorecard(
                department_id=department_id, period=period, figures={}, computed_at=now
            )
            session.add(card)
        card.figures, card.computed_at = computed, now
        stored.append(card)
    session.flush()
    return stored


def as_rows(session: Session, period: str) -> list[list[object]]:
    """The period's stored cards, best first: ranked by the overall figure, unknown last."""
    names = dict(session.execute(select(Department.id, Department.name)).all())
    cards = session.scalars(
        select(Scorecard).where(Scorecard.period == period).order_by(Scorecard.department_id)
    )
    rows: list[list[object]] = [
        [period, names.get(c.department_id, c.department_id), *(c.figures.get(k) for k in COLUMNS)]
        for c in cards
    ]

    def best_first(row: list[object]) -> float:
        overall = row[HEADER.index("overall")]
        return -overall if isinstance(overall, int | float) else 1.0

    return sorted(rows, key=best_first)


HEADER = ["period", "department", *COLUMNS]


def computed_at(session: Session, period: str) -> datetime | None:
    """When the period's cards were last computed, if they were."""
    return session.scalar(select(Scorecard.computed_at).where(Scorecard.period == period).limit(1))
