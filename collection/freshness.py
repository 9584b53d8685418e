"""Freshness (R11 input): each published resource's last successful update against its cycle.

A resource is *late* once its last success is older than its update cycle plus one day of grace
(one hour for real-time resources), *never* if it has not been collected yet, *on time* otherwise.
Irregular resources are never late, but one never collected is *never*, as for any cycle. The one
rule serves the live view and R11 enforcement, the violations register and the scorecards (R20),
which ask it as of a period's end (or now, if that end is still to come): only loads finished and
entries published by then count.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.models import Resource, ResourceVersion
from catalog.vocab import ResourceStatus, UpdateCycle, VersionState
from collection.models import IngestRun
from collection.vocab import Freshness as State
from collection.vocab import RunStatus
from exchange.identity.models import Department

CYCLE = {
    UpdateCycle.REALTIME: timedelta(hours=1),
    UpdateCycle.DAILY: timedelta(days=1),
    UpdateCycle.WEEKLY: timedelta(days=7),
    UpdateCycle.MONTHLY: timedelta(days=31),
    UpdateCycle.QUARTERLY: timedelta(days=92),
    UpdateCycle.HALF_YEARLY: timedelta(days=183),
    UpdateCycle.YEARLY: timedelta(days=366),
}


@dataclass(frozen=True)
class Freshness:
    code: str
    name: str
    provider_code: str
    update_cycle: str
    last_success_at: datetime | None
    due_by: datetime | None
    status: State


def grace(cycle: timedelta) -> timedelta:
    return timedelta(hours=1) if cycle < timedelta(days=1) else timedelta(days=1)


def freshness(
    session: Session, *, now: datetime, provider_department_id: int | None = None
) -> list[Freshness]:
    """Each published resource's freshness as of ``now``, from the loads finished by then; a
    resource first published after ``now`` is not judged at ``now``."""
    last = (
        select(IngestRun.resource_id, func.max(IngestRun.finished_at).label("at"))
        .where(IngestRun.status == RunStatus.SUCCEEDED, IngestRun.finished_at <= now)
        .group_by(IngestRun.resource_id)
        .subquery()
    )
    published_by_then = select(ResourceVersion.resource_id).where(
        ResourceVersion.state.in_((VersionState.PUBLISHED, VersionState.SUPERSEDED)),
        ResourceVersion.reviewed_at <= now,
    )
    query = (
        select(
            Resource.code,
            ResourceVersion.name,
            Department.code,
            ResourceVersion.update_cycle,
            last.c.at,
        )
        .join(ResourceVersion, ResourceVersion.id == Resource.published_version_id)
        .join(Department, Department.id == Resource.provider_department_id)
        .outerjoin(last, last.c.resource_id == Resource.id)
        .where(Resource.status == ResourceStatus.PUBLISHED, Resource.id.in_(published_by_then))
        .order_by(Resource.code)
    )
    if provider_department_id is not None:
        query = query.where(Resource.provider_department_id == provider_department_id)
    result = []
    for code, name, provider, cycle, at in session.execute(query):
        if at is not None and at.tzinfo is None:  # an aggregate loses the column's type on SQLite
            at = datetime.fromisoformat(str(at)).replace(tzinfo=UTC)
        period = CYCLE.get(UpdateCycle(cycle))
        due = at + period + grace(period) if at is not None and period is not None else None
        status = (
            State.NEVER if at is None
            else State.LATE if due is not None and now > due
            else State.ON_TIME
        )  # fmt: skip
        result.append(Freshness(code, name, provider, cycle, at, due, status))
    return result
