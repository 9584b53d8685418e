"""A resource's history in charts, for its page: rows per load, the time between loads against
its update cycle, and its quality per validated snapshot."""

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Resource
from catalog.vocab import UpdateCycle
from collection.freshness import CYCLE
from collection.models import IngestRun
from collection.vocab import RunStatus
from exchange.charts import Chart, Series
from exchange.i18n import Message
from quality.models import ValidationRun

RECENT = 30  # loads and validation runs shown


def resource_charts(
    session: Session, resource: Resource, update_cycle: str | None, zone: ZoneInfo
) -> list[Chart]:
    """The charts of a resource whose catalog entry promises ``update_cycle``."""
    loads = list(
        reversed(
            session.scalars(
                select(IngestRun)
                .where(IngestRun.resource_id == resource.id,
                       IngestRun.status == RunStatus.SUCCEEDED)
                .order_by(IngestRun.finished_at.desc())
                .limit(RECENT)
            ).all()
        )
    )  # fmt: skip
    runs = list(
        reversed(
            session.scalars(
                select(ValidationRun)
                .where(ValidationRun.resource_id == resource.id)
                .order_by(ValidationRun.finished_at.desc())
                .limit(RECENT)
            ).all()
        )
    )
    return [_rows(loads, zone), _intervals(loads, update_cycle, zone), _quality(runs, zone)]


def _moment(at: datetime | None, zone: ZoneInfo) -> str:
    return "" if at is None else f"{at.astimezone(zone):%Y-%m-%d %H:%M}"


def _rows(loads: list[IngestRun], zone: ZoneInfo) -> Chart:
    return Chart(
        key="rows_per_load",
        title=Message("Rows per load"),
        kind="bar",
        unit="rows",
        category_title=Message("Load finished"),
        categories=[_moment(run.finished_at, zone) for run in loads],
        series=[
            Series(Message("Rows written"), [run.rows_written or 0 for run in loads]),
            Series(Message("Rows set aside"), [run.rows_rejected or 0 for run in loads]),
        ],
    )


def _intervals(loads: list[IngestRun], update_cycle: str | None, zone: ZoneInfo) -> Chart:
    """Days since the load before, beside the update cycle the catalog promises (R11)."""
    cycle = CYCLE.get(UpdateCycle(update_cycle)) if update_cycle else None
    cycle_days = None if cycle is None else round(cycle.total_seconds() / 86400, 2)
    gaps: list[float | int | None] = [None]
    for before, after in itertools.pairwise(loads):
        if before.finished_at and after.finished_at:
            gaps.append(round((after.finished_at - before.finished_at).total_seconds() / 86400, 2))
        else:
            gaps.append(None)
    return Chart(
        key="load_intervals",
        title=Message("Days between loads against the update cycle"),
        kind="line",
        unit="days",
        category_title=Message("Load finished"),
        categories=[_moment(run.finished_at, zone) for run in loads],
        series=[
            Series(Message("Days since the load before"), gaps[: len(loads)]),
            Series(Message("Update cycle (days)"), [cycle_days] * len(loads)),
        ],
    )


def _quality(runs: list[ValidationRun], zone: ZoneInfo) -> Chart:
    return Chart(
        key="quality_per_snapshot",
        title=Message("Quality per validated snapshot"),
        kind="bar",
        unit="count",
        category_title=Message("Snapshot validated"),
        categories=[f"{run.snapshot_id} · {_moment(run.finished_at, zone)}" for run in runs],
        series=[
            Series(Message("Checks failed"), [run.failed_checks for run in runs]),
            Series(Message("Checks run"), [run.checks for run in runs]),
        ],
    )
