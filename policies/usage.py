"""R17: providers see how their shared data is used; consumers see, and report back, their own use."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from catalog.models import Resource
from exchange import audit
from exchange.actions import ACTIONS
from exchange.errors import InvalidInput, NotFound, not_found
from exchange.i18n import Message
from exchange.identity.models import Department
from exchange.principal import Principal
from policies.models import DataUsage, Grant, UseReport

Side = Literal["provider", "consumer"]


@dataclass(frozen=True)
class UsageRow:
    at: datetime
    resource_code: str
    provider: str
    consumer: str
    items: list[str]
    purpose: str
    basis: str
    mode: str
    grant_id: int | None
    rows: int  # rows served, or records verified
    access: str  # read, masked or verify


def usage(
    session: Session,
    *,
    actor: Principal,
    side: Side,
    resource_code: str | None = None,
    since: datetime | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[UsageRow]:
    """Reads of the actor's department's data (provider side) or by it (consumer side), newest
    first. The bureau and auditors see every department's."""
    mine = visible_usage(actor, side)
    provider, consumer = Department.__table__.alias("p"), Department.__table__.alias("c")
    query = (
        select(DataUsage, Resource.code, provider.c.code, consumer.c.code)
        .join(Resource, Resource.id == DataUsage.resource_id)
        .join(provider, provider.c.id == DataUsage.provider_department_id)
        .join(consumer, consumer.c.id == DataUsage.consumer_department_id)
        .order_by(DataUsage.at.desc(), DataUsage.id.desc())
        .offset(offset)
        .limit(limit)
    )
    if mine is not None:
        query = query.where(mine)
    if resource_code:
        query = query.where(Resource.code == resource_code)
    if since:
        query = query.where(DataUsage.at >= since)
    return [
        UsageRow(
            u.at, code, p, c, u.items, u.purpose, u.basis, u.mode, u.grant_id, u.rows, u.access
        )
        for u, code, p, c in session.execute(query)
    ]


def visible_usage(actor: Principal, side: Side) -> ColumnElement[bool] | None:
    """The filter on usage rows the actor may see from ``side``: none for the bureau and auditors,
    who see every department's; refused if the actor's roles see no usage from that side."""
    if ACTIONS.allows(actor, "other", "usage", "view"):
        return None
    ACTIONS.require(
        actor,
        side,
        "usage",
        "view",
        explain=Message("your roles do not see {side}-side usage", side=side),
    )
    column = (
        DataUsage.provider_department_id if side == "provider" else DataUsage.consumer_department_id
    )
    return column == actor.department_id


def report_use(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    grant_id: int,
    period_from: date,
    period_to: date,
    uses: int,
    outcome: str,
) -> UseReport:
    """The consumer tells the provider what the data served (R17), for one period of a grant."""
    grant = session.get(Grant, grant_id)
    if grant is None or grant.consumer_department_id != actor.department_id:
        raise not_found(grant, "no grant {grant_id} of your department", grant_id=grant_id)
    ACTIONS.require(
        actor, "consumer", "usage", "report", explain="use is reported by the consumer's staff"
    )
    if period_to < period_from or uses < 0 or not outcome.strip():
        raise InvalidInput(
            "give a period that ends after it starts, the number of uses and what they served",
            detail={"field": "outcome"},
        )
    report = UseReport(
        grant_id=grant_id,
        reported_by=actor.user_id,
        reported_at=now,
        period_from=period_from,
        period_to=period_to,
        uses=uses,
        outcome=outcome.strip(),
    )
    session.add(report)
    session.flush()
    audit.record(
        session,
        at=now,
        actor=actor,
        action="usage.report",
        object_type="grant",
        object_id=grant_id,
        grant_id=grant_id,
        detail={"uses": uses, "period": [period_from.isoformat(), period_to.isoformat()]},
    )
    return report


def reports_for(session: Session, *, actor: Principal, grant_id: int) -> list[UseReport]:
    """A grant's use reports, for its consumer, its provider, the bureau and auditors."""
    grant = session.get(Grant, grant_id)
    if grant is None:
        raise NotFound("no grant {grant_id}", grant_id=grant_id)
    provider_id = session.get_one(Resource, grant.resource_id).provider_department_id
    if actor.department_id not in (grant.consumer_department_id, provider_id) and not (
        ACTIONS.allows(actor, "other", "usage", "view")
    ):
        raise NotFound("no grant {grant_id}", grant_id=grant_id)
    return list(
        session.scalars(
            select(UseReport).where(UseReport.grant_id == grant_id).order_by(UseReport.id)
        )
    )
