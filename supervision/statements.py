"""Usage statements (R17): each month, for each grant used, what the consumer read under it — how
many reads (and of them, how many served masked), rows, records verified, which items and for
which purposes — from the usage records. The consuming
department confirms its statement; the providing department sees it, confirmed or not."""

from collections import defaultdict
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Resource
from exchange import audit
from exchange.actions import ACTIONS
from exchange.errors import Conflict, InvalidInput, PermissionDenied, not_found
from exchange.identity.visibility import Records, own_only
from exchange.principal import Principal
from policies.models import DataUsage, Grant
from supervision.models import UsageStatement
from supervision.scorecards import period_bounds

Side = Literal["consumer", "provider"]


def generate(
    session: Session, *, period: str, zone: ZoneInfo, now: datetime
) -> list[UsageStatement]:
    """Statements of every grant read under in ``period`` (a month); confirmed ones stay as they are."""
    if len(period) != 7:
        raise InvalidInput(
            "a usage statement covers a month, e.g. 2026-11", detail={"field": "period"}
        )
    start, end = period_bounds(period, zone)
    reads: dict[int, list[DataUsage]] = defaultdict(list)
    for usage in session.scalars(
        select(DataUsage).where(
            DataUsage.grant_id.is_not(None), DataUsage.at >= start, DataUsage.at < end
        )
    ):
        reads[usage.grant_id].append(usage)  # type: ignore[index]
    made = []
    for grant_id, used in sorted(reads.items()):
        statement = session.scalar(
            select(UsageStatement).where(
                UsageStatement.grant_id == grant_id, UsageStatement.period == period
            )
        )
        if statement is not None and statement.confirmed_at is not None:
            continue
        if statement is None:
            statement = UsageStatement(grant_id=grant_id, period=period, reads=0, rows=0, items=[],
                                       purposes=[], generated_at=now)  # fmt: skip
            session.add(statement)
        served = [u for u in used if u.access != "verify"]
        statement.reads, statement.rows = len(served), sum(u.rows for u in served)
        statement.masked_reads = sum(1 for u in served if u.access == "masked")
        statement.verified_records = sum(u.rows for u in used if u.access == "verify")
        statement.items = sorted({item for u in used for item in u.items})
        statement.purposes = sorted({u.purpose for u in used})
        statement.generated_at = now
        made.append(statement)
    session.flush()
    return made


def visible(
    session: Session, *, actor: Principal, side: Side
) -> list[tuple[UsageStatement, Grant, str]]:
    query = (
        select(UsageStatement, Grant, Resource.code)
        .join(Grant, Grant.id == UsageStatement.grant_id)
        .join(Resource, Resource.id == Grant.resource_id)
        .order_by(UsageStatement.period.desc(), UsageStatement.id)
    )
    column = Grant.consumer_department_id if side == "consumer" else Resource.provider_department_id
    mine = own_only(actor, Records.USAGE_STATEMENT, column)
    if mine is not None:
        query = query.where(mine)
    return [(s, g, c) for s, g, c in session.execute(query.limit(1000))]


def confirm(
    session: Session, *, actor: Principal, now: datetime, statement_id: int, note: str | None = None
) -> UsageStatement:
    statement = session.get(UsageStatement, statement_id, with_for_update=True)
    grant = None if statement is None else session.get(Grant, statement.grant_id)
    if statement is None or grant is None or grant.consumer_department_id != actor.department_id:
        raise not_found(
            statement,
            "no usage statement {statement_id} of your department",
            statement_id=statement_id,
        )
    if not ACTIONS.allows(actor, "consumer", "usage_statement", "confirm"):
        raise PermissionDenied("a consumer of the department confirms its usage statements",
                               detail={"required_roles": ["consumer"]})  # fmt: skip
    if statement.confirmed_at is not None:
        raise Conflict(
            "usage statement {statement_id} was confirmed on {confirmed_at:%Y-%m-%d}",
            statement_id=statement_id,
            confirmed_at=statement.confirmed_at,
        )
    statement.confirmed_by, statement.confirmed_at, statement.note = (
        actor.user_id,
        now,
        (note or None),
    )
    audit.record(session, at=now, actor=actor, action="supervision.usage_statement.confirm",
                 object_type="usage_statement", object_id=statement_id, grant_id=grant.id,
                 detail={"period": statement.period, "reads": statement.reads, "rows": statement.rows})  # fmt: skip
    return statement
