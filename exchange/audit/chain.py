"""The one writer of the audit log.

``record`` queues an entry on the session; the entries are appended to the chain just before
the session commits, under a lock on the chain head, so that records are chained in commit order
and the lock is held only for the last moment of a transaction. If the append fails, the commit
fails with it: no action without its audit record (fail closed). A rolled-back transaction
leaves no record, so refusals are recorded with ``record_in_own_transaction``.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from exchange.audit.models import AuditChainHead, AuditRecord
from exchange.db import Database, table_of
from exchange.principal import Principal

HEAD_ID = 1
_PENDING_KEY = "exchange.audit.pending"


class Outcome(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
    FAILED = "failed"


@dataclass(frozen=True)
class _Entry:
    at: datetime
    actor_user_id: int | None
    actor: str
    department_code: str | None
    action: str
    object_type: str | None
    object_id: str | None
    outcome: str
    purpose: str | None
    grant_id: int | None
    request_id: int | None
    client_address: str | None
    detail: str


def record(
    session: Session,
    *,
    at: datetime,
    actor: Principal,
    action: str,
    outcome: Outcome = Outcome.ALLOWED,
    object_type: str | None = None,
    object_id: str | int | None = None,
    purpose: str | None = None,
    grant_id: int | None = None,
    request_id: int | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Queue an audit record; it is written when ``session`` commits, or the commit fails."""
    entry = _Entry(
        at=at.astimezone(UTC),
        actor_user_id=actor.user_id,
        actor=actor.username,
        department_code=actor.department_code,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        outcome=str(outcome),
        purpose=purpose,
        grant_id=grant_id,
        request_id=request_id,
        client_address=actor.client_address,
        detail=canonical_json(detail or {}),
    )
    pending: list[_Entry] | None = session.info.get(_PENDING_KEY)
    if pending is None:
        pending = session.info[_PENDING_KEY] = []
        _listen_once(session)
    pending.append(entry)


def record_in_own_transaction(database: Database, **kwargs: Any) -> None:
    """Record in a transaction of its own: for refusals, whose own transaction rolls back."""
    with database.transaction() as session:
        record(session, **kwargs)


def canonical_json(value: Mapping[str, Any]) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()


def record_hash(prev_hash: str, seq: int, fields: tuple[Any, ...]) -> str:
    """SHA-256 over the previous hash, the position and every field, in a fixed order."""
    at = fields[0]
    payload = orjson.dumps(
        [seq, at.astimezone(UTC).isoformat(timespec="microseconds"), *fields[1:]]
    )
    return hashlib.sha256(prev_hash.encode("ascii") + payload).hexdigest()


# The record's fields in hashing order; verification reads them in the same order.
HASHED_COLUMNS = (
    "at",
    "actor_user_id",
    "actor",
    "department_code",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "purpose",
    "grant_id",
    "request_id",
    "client_address",
    "detail",
)


def _listen_once(session: Session) -> None:
    from sqlalchemy import event

    if session.info.get("exchange.audit.listening"):
        return
    session.info["exchange.audit.listening"] = True
    event.listen(session, "before_commit", _append_pending)
    event.listen(session, "after_rollback", _drop_pending)


def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


def _append_pending(session: Session) -> None:
    entries: list[_Entry] | None = session.info.pop(_PENDING_KEY, None)
    if entries:
        append_to_chain(session, entries)


def append_to_chain(session: Session, entries: list[_Entry]) -> None:
    head_table = table_of(AuditChainHead)
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: a write takes the database's write lock for the transaction.
        session.execute(
            update(head_table)
            .where(head_table.c.id == HEAD_ID)
            .values(last_seq=head_table.c.last_seq)
        )
    last_seq, last_hash = session.execute(
        select(head_table.c.last_seq, head_table.c.last_hash)
        .where(head_table.c.id == HEAD_ID)
        .with_for_update()
    ).one()
    rows = []
    for entry in entries:
        last_seq += 1
        fields = tuple(getattr(entry, name) for name in HASHED_COLUMNS)
        digest = record_hash(last_hash, last_seq, fields)
        rows.append(
            {
                "seq": last_seq,
                **dict(zip(HASHED_COLUMNS, fields, strict=True)),
                "prev_hash": last_hash,
                "hash": digest,
            }
        )
        last_hash = digest
    session.execute(insert(table_of(AuditRecord)), rows)
    session.execute(
        update(head_table)
        .where(head_table.c.id == HEAD_ID)
        .values(last_seq=last_seq, last_hash=last_hash)
    )
