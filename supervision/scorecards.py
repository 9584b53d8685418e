"""Department scorecards per month and per year (R20): how each department shares, comparable
across departments and exportable for the budget process.

Figures of a period [start, end):
- catalog completeness: mean share of recommended metadata filled in, over its published entries;
- validation pass rate: share of its resources' validation runs in the period that passed;
- fresh share: share of its published resources on time at the period's end, by the one
  freshness rule (collection.freshness): loaded by then, within the update cycle and its grace;
- requests answered on time (R14) and quality issues answered on time (R19): of the deadlines of
  the department that stopped in the period, the share stopped before they were due;
- disputes lost: rulings in the period that granted what the department had refused or narrowed;
- rows provided and consumed: rows read of its data by others, and of others' data by it;
- suspensions: grant suspensions (R11) that began in the period.
"""

import io
from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from catalog.models import Resource, ResourceVersion
from catalog.schemas import EntryDraft
from catalog.validation import completeness
from catalog.vocab import ResourceStatus
from collection.freshness import freshness
from collection.vocab import Freshness
from exchange.deadlines.models import Deadline
from exchange.errors import InvalidInput
from exchange.identity.models import Department
from exchange.spreadsheets import append_row, csv_document
from policies.models import REVIEW, AccessRequest, DataUsage, Dispute, Suspension
from quality.models import FEEDBACK, ValidationRun
from supervision.models import Scorecard


@dataclass(frozen=True)
class Figures:
    catalog_completeness: float | None
    validation_pass_rate: float | None
    fresh_share: float | None
    requests_on_time: float | None
    requests_decided: int
    quality_issues_on_time: float | None
    quality_issues_answered: int
    disputes_lost: int
    rows_provided: int
    rows_consumed: int
    suspensions: int


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


def _on_time(
    session: Session, kind: str, department_id: int, start: datetime, end: datetime
) -> tuple[float | None, int]:
    stopped = session.scalars(
        select(Deadline).where(
            Deadline.kind == kind, Deadline.assignee_department_id == department_id,
            Deadline.stopped_at >= start, Deadline.stopped_at < end,
        )
    ).all()  # fmt: skip
    return _share(sum(1 for d in stopped if d.met_in_time), len(stopped)), len(stopped)


def figures(session: Session, department_id: int, start: datetime, end: datetime) -> Figures:
    resources = session.execute(
        select(Resource, ResourceVersion)
        .join(ResourceVersion, ResourceVersion.id == Resource.published_version_id)
        .where(Resource.provider_department_id == department_id, Resource.status == ResourceStatus.PUBLISHED)
    ).all()  # fmt: skip
    scores = [completeness(EntryDraft.model_validate(version)) for _, version in resources]
    runs = session.execute(
        select(func.count(), func.sum(case((ValidationRun.passed.is_(True), 1), else_=0)))
        .join(Resource, Resource.id == ValidationRun.resource_id)
        .where(Resource.provider_department_id == department_id,
               ValidationRun.finished_at >= start, ValidationRun.finished_at < end)
    ).one()  # fmt: skip
    fresh = sum(
        1
        for state in freshness(session, now=end, provider_department_id=department_id)
        if state.status == Freshness.ON_TIME
    )
    requests_rate, decided = _on_time(session, REVIEW, department_id, start, end)
    issues_rate, answered = _on_time(session, FEEDBACK, department_id, start, end)
    lost = session.scalar(
        select(func.count()).select_from(Dispute)
        .join(AccessRequest, AccessRequest.id == Dispute.request_id)
        .where(AccessRequest.provider_department_id == department_id, Dispute.state == "granted",
               Dispute.ruled_at >= start, Dispute.ruled_at < end)
    )  # fmt: skip

    def rows(column: InstrumentedAttribute[int]) -> int:
        total = session.scalar(
            select(func.coalesce(func.sum(DataUsage.rows), 0)).where(
                column == department_id, DataUsage.at >= start, DataUsage.at < end
            )
        )
        return int(total or 0)

    suspensions = session.scalar(
        select(func.count()).select_from(Suspension).where(
            Suspension.department_id == department_id,
            Suspension.suspended_at >= start, Suspension.suspended_at < end,
        )
    )  # fmt: skip
    return Figures(
        catalog_completeness=round(sum(scores) / len(scores), 4) if scores else None,
        validation_pass_rate=_share(int(runs[1] or 0), int(runs[0] or 0)),
        fresh_share=_share(fresh, len(resources)),
        requests_on_time=requests_rate, requests_decided=decided,
        quality_issues_on_time=issues_rate, quality_issues_answered=answered,
        disputes_lost=int(lost or 0),
        rows_provided=rows(DataUsage.provider_department_id),
        rows_consumed=rows(DataUsage.consumer_department_id),
        suspensions=int(suspensions or 0),
    )  # fmt: skip


def compute(session: Session, *, period: str, zone: ZoneInfo, now: datetime) -> list[Scorecard]:
    """Compute (or recompute) every department's scorecard of ``period`` and store it."""
    start, end = period_bounds(period, zone)
    stored = []
    for department_id in session.scalars(
        select(Department.id).where(Department.active.is_(True)).order_by(Department.id)
    ):
        computed = asdict(figures(session, department_id, start, end))  # before adding the row
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
    names = dict(session.execute(select(Department.id, Department.name)).all())
    cards = session.scalars(
        select(Scorecard).where(Scorecard.period == period).order_by(Scorecard.department_id)
    )
    return [
        [period, names.get(c.department_id, c.department_id), *(c.figures.get(k) for k in COLUMNS)]
        for c in cards
    ]


HEADER = ["period", "department", *COLUMNS]


def to_csv(rows: list[list[object]]) -> bytes:
    return csv_document(HEADER, rows)


def to_xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "scorecards"
    sheet.append(HEADER)
    for row in rows:
        append_row(sheet, row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
