"""Refusals on the record (R16) without letting anonymous floods fill a 15-year log.

A refusal of a signed-in user is one audit record each: it names a person. A refusal of an
anonymous caller is recorded once per client address and hour, with the path truncated; later
ones in the same hour are counted in ``audit_refusal_counts`` and recorded as one summary when the
hour is over (by the next refusal from that address, or by the deadline sweep).
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from exchange.audit.chain import Outcome, record
from exchange.audit.models import RefusalCount
from exchange.db import Database
from exchange.principal import Principal

MAX_PATH = 200


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def record_refusal(
    database: Database,
    *,
    at: datetime,
    actor: Principal,
    action: str,
    path: str,
    detail: dict[str, Any],
    purpose: str | None = None,
) -> None:
    """Record a refusal in a transaction of its own (the refused work rolls back), with the
    purpose the caller gave for what it was refused (R15)."""
    with database.transaction() as session:
        if actor.user_id is None and actor.client_address is not None:
            if not _first_this_hour(session, actor.client_address, at, path[:MAX_PATH]):
                return
            summarise_closed_hours(session, now=at, client_address=actor.client_address)
        record(
            session,
            at=at,
            actor=actor,
            action=action[:100],
            outcome=Outcome.DENIED,
            object_type="route",
            object_id=path[:100],
            purpose=purpose,
            detail=detail,
        )


def _first_this_hour(session: Session, address: str, at: datetime, path: str) -> bool:
    """Count the refusal; whether it is the first from ``address`` this hour."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    inserted = session.scalar(
        insert(RefusalCount)
        .values(client_address=address, hour=_hour(at), repeats=0, last_path=path)
        .on_conflict_do_nothing()
        .returning(RefusalCount.repeats)  # a row only when this insert made it
    )
    if inserted is not None:
        return True
    session.execute(
        update(RefusalCount)
        .where(RefusalCount.client_address == address, RefusalCount.hour == _hour(at))
        .values(repeats=RefusalCount.repeats + 1, last_path=path)
    )
    return False


def summarise_closed_hours(
    session: Session, *, now: datetime, client_address: str | None = None
) -> int:
    """One audit record per address and past hour with repeated refusals; returns how many."""
    query = select(RefusalCount).where(RefusalCount.hour < _hour(now))
    if client_address is not None:
        query = query.where(RefusalCount.client_address == client_address)
    written = 0
    for count in session.scalars(query.with_for_update()):
        if count.repeats:
            record(
                session,
                at=now,
                actor=Principal(None, "anonymous", None, None, client_address=count.client_address),
                action="refusals.repeated",
                outcome=Outcome.DENIED,
                object_type="client_address",
                object_id=count.client_address,
                detail={
                    "from": count.hour.isoformat(),
                    "to": (count.hour + timedelta(hours=1)).isoformat(),
                    "repeats": count.repeats,
                    "last_path": count.last_path,
                },
            )
            written += 1
        session.execute(
            delete(RefusalCount).where(
                RefusalCount.client_address == count.client_address,
                RefusalCount.hour == count.hour,
            )
        )
    return written
