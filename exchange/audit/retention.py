"""Export and purge. Records are kept for 15 years (R16); nothing younger can be purged."""

from collections.abc import Iterator
from datetime import datetime
from typing import Any, TextIO

import orjson
from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.orm import Session

from exchange.audit.chain import Outcome, record
from exchange.audit.models import AuditChainHead, AuditRecord
from exchange.db import table_of
from exchange.errors import InvalidInput
from exchange.principal import Principal

RETENTION_YEARS = 15


def retention_limit(now: datetime) -> datetime:
    """The newest instant that may be purged at ``now``: 15 calendar years earlier."""
    try:
        return now.replace(year=now.year - RETENTION_YEARS)
    except ValueError:  # 29 February
        return now.replace(year=now.year - RETENTION_YEARS, day=28)


def iter_records(
    connection: Connection, start: datetime, end: datetime
) -> Iterator[dict[str, Any]]:
    table = table_of(AuditRecord)
    result = connection.execution_options(yield_per=10_000).execute(
        select(table).where(table.c.at >= start, table.c.at < end).order_by(table.c.seq)
    )
    for row in result.mappings():
        item = dict(row)
        item["at"] = item["at"].isoformat(timespec="microseconds")
        item["detail"] = orjson.loads(item["detail"])
        yield item


def export_jsonl(connection: Connection, out: TextIO, *, start: datetime, end: datetime) -> int:
    """Write records with ``start <= at < end`` as JSON Lines, hashes included; returns the count."""
    count = 0
    for item in iter_records(connection, start, end):
        out.write(orjson.dumps(item).decode())
        out.write("\n")
        count += 1
    return count


def purge(session: Session, *, before: datetime, now: datetime, actor: Principal) -> int:
    """Remove the oldest records, all older than ``before``; refuses anything under 15 years old."""
    limit = retention_limit(now)
    if before > limit:
        raise InvalidInput(
            "audit records are kept for {retention_years} years: only records before {date} may be purged",
            detail={"before": before.isoformat(), "earliest_allowed": limit.isoformat()},
            retention_years=RETENTION_YEARS,
            date=limit.date().isoformat(),
        )
    records = table_of(AuditRecord)
    heads = table_of(AuditChainHead)
    removed = 0
    for chain in session.scalars(select(heads.c.id).order_by(heads.c.id)).all():
        in_chain = records.c.chain == chain
        # Only a prefix of a chain may go, so that what remains still verifies from the anchor.
        first_kept = session.execute(
            select(func.min(records.c.chain_pos)).where(in_chain, records.c.at >= before)
        ).scalar()
        condition = (
            records.c.at < before if first_kept is None else records.c.chain_pos < first_kept
        )
        last_purged = session.execute(
            select(records.c.chain_pos, records.c.hash)
            .where(in_chain, condition)
            .order_by(records.c.chain_pos.desc())
            .limit(1)
        ).first()
        if last_purged is None:
            continue
        removed += (
            session.connection()
            .execute(delete(records).where(in_chain, records.c.chain_pos <= last_purged.chain_pos))
            .rowcount
        )
        session.execute(
            update(heads)
            .where(heads.c.id == chain)
            .values(anchor_pos=last_purged.chain_pos, anchor_hash=last_purged.hash)
        )
    if removed:
        record(
            session,
            at=now,
            actor=actor,
            action="audit.purge",
            outcome=Outcome.ALLOWED,
            detail={"before": before.isoformat(), "removed": removed},
        )
    return removed
