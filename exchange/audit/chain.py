"""The one writer of the audit log.

``record`` queues an entry on the session; the entries are appended to the chain just before
the session commits, under a lock on the head of one of several chains (whichever is free), so
that a chain is extended in commit order and the lock is held only for the last moment of a
transaction. If the append fails, the commit
fails with it: no action without its audit record (fail closed). A rolled-back transaction
leaves no record, so refusals are recorded with ``record_in_own_transaction``.
"""

import hashlib
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Required, TypedDict, Unpack

import orjson
from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from exchange.audit.models import AUDIT_CHAINS, AUDIT_SEQ, AuditChainHead, AuditRecord
from exchange.bulk_insert import BulkInsert
from exchange.db import Database, table_of
from exchange.principal import Principal

_PENDING_KEY = "exchange.audit.pending"


class Outcome(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
    FAILED = "failed"


@dataclass(frozen=True)
class Entry:
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


class EntryFields(TypedDict, total=False):
    """What a caller says of an audited action; the actor's name, department and address, and
    the bounds on texts and details, are added by :func:`entry`."""

    at: Required[datetime]
    actor: Required[Principal]
    action: Required[str]
    outcome: Outcome  # allowed unless said
    object_type: str | None
    object_id: str | int | None
    purpose: str | None
    grant_id: int | None
    request_id: int | None
    detail: Mapping[str, Any] | None


def record(session: Session, **fields: Unpack[EntryFields]) -> None:
    """Queue an audit record; it is written when ``session`` commits, or the commit fails."""
    pending: list[Entry] | None = session.info.get(_PENDING_KEY)
    if pending is None:
        pending = session.info[_PENDING_KEY] = []
        _listen_once(session)
    pending.append(entry(**fields))


def entry(**fields: Unpack[EntryFields]) -> Entry:
    """An audit record ready to append with :func:`append_to_chain` (bounded as stored)."""
    actor, object_id, purpose = fields["actor"], fields.get("object_id"), fields.get("purpose")
    return Entry(
        at=fields["at"].astimezone(UTC),
        actor_user_id=actor.user_id,
        actor=actor.username,
        department_code=actor.department_code,
        action=fields["action"][:100],
        object_type=fields.get("object_type"),
        object_id=None if object_id is None else str(object_id)[:100],
        outcome=str(fields.get("outcome", Outcome.ALLOWED)),
        purpose=purpose if purpose is None else _shortened(purpose),
        grant_id=fields.get("grant_id"),
        request_id=fields.get("request_id"),
        client_address=actor.client_address,
        detail=bounded_detail(fields.get("detail") or {}),
    )


def record_in_own_transaction(database: Database, **fields: Unpack[EntryFields]) -> None:
    """Record in a transaction of its own: for refusals, whose own transaction rolls back."""
    with database.transaction() as session:
        record(session, **fields)


MAX_TEXT = 4000
MAX_DETAIL_BYTES = 64 * 1024


def _shortened(text: str) -> str:
    return text if len(text) <= MAX_TEXT else f"{text[:MAX_TEXT]}…({len(text)} characters)"


def bounded_detail(detail: Mapping[str, Any]) -> str:
    """The detail as canonical JSON, at most ``MAX_DETAIL_BYTES``: long texts are shortened, and a
    detail still too large is kept as its head and the SHA-256 of the whole, so that a caller (or
    an attacker choosing the text) cannot make one record arbitrarily large."""

    def shorten(value: Any) -> Any:
        if isinstance(value, str):
            return _shortened(value)
        if isinstance(value, Mapping):
            return {key: shorten(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [shorten(item) for item in value]
        return value

    whole = canonical_json(shorten(detail))
    if len(whole.encode()) <= MAX_DETAIL_BYTES:
        return whole
    return canonical_json(
        {
            "truncated": True,
            "bytes": len(whole.encode()),
            "sha256": hashlib.sha256(whole.encode()).hexdigest(),
            "head": whole[:MAX_TEXT],
        }
    )


def canonical_json(value: Mapping[str, Any]) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()


def record_hash(
    prev_hash: str, chain: int, position: int, seq: int, fields: tuple[Any, ...]
) -> str:
    """SHA-256 over the previous hash, the record's place and every field, in a fixed order."""
    at = fields[0]
    payload = orjson.dumps(
        [chain, position, seq, at.astimezone(UTC).isoformat(timespec="microseconds"), *fields[1:]]
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
    entries: list[Entry] | None = session.info.pop(_PENDING_KEY, None)
    if entries:
        append_to_chain(session, entries)


def append_to_chain(session: Session | Connection, entries: list[Entry]) -> None:
    """Append ``entries`` to a chain in ``session``'s transaction (a Session, or a Core connection
    for a writer that needs no ORM)."""
    bind = session.get_bind() if isinstance(session, Session) else session
    postgres = bind.dialect.name == "postgresql"
    rows, head = _chained(entries, *_lock_a_chain(session, postgres, len(entries)))
    if postgres and len(rows) == 1:  # most audited actions: one round trip
        session.execute(_APPEND_ONE_AND_ADVANCE, {**rows[0], **head})
        return
    # A batch, or any append on SQLite.
    _APPEND_MANY.execute(session.connection() if isinstance(session, Session) else session, rows)
    session.execute(_ADVANCE_HEAD, head)


def commit_with_chain_append(
    connection: Connection,
    entries: list[Entry],
    inserts: Sequence[tuple[BulkInsert, Sequence[Mapping[str, Any]]]] = (),
) -> None:
    """PostgreSQL: in a new transaction on ``connection``, insert each of ``inserts``' rows, append
    ``entries`` to a chain and commit, in two round trips to the server: the inserts with the
    chain's lock, then the records, the head's advance and the commit.

    For a writer that commits batch after batch while its callers wait (the data API's group
    commit): each round trip is also a wait for the writer's thread to get a processor and the
    interpreter back from busy event loops, and the same commit statement by statement (COPY
    included) took eight. What is written is what :func:`append_to_chain` writes."""
    driver = connection.connection.driver_connection
    assert driver is not None
    dialect = connection.dialect
    lock_any, lock_given = (_driver_statement(each, dialect) for each in _LOCKING[False])
    with driver.pipeline() as pipeline, driver.cursor() as writes, driver.cursor() as locking:
        for bulk, rows in inserts:
            bulk.queue(writes, dialect, rows)
        locking.execute(*lock_any({"count": len(entries)}))
        pipeline.sync()
        locked = locking.fetchone()
        if locked is None:  # every chain busy: queue behind one of them
            head_id = random.randint(1, AUDIT_CHAINS)  # noqa: S311
            locking.execute(*lock_given({"count": len(entries), "head_id": head_id}))
            locked = locking.fetchone()
        assert locked is not None
        chained, head = _chained(entries, locked[0], locked[1], locked[2], sorted(locked[3]))
        _APPEND_MANY.queue(writes, dialect, chained)
        writes.execute(*_driver_statement(_ADVANCE_HEAD, dialect)(head))
        driver.commit()


def _chained(
    entries: list[Entry], chain: int, position: int, last_hash: str, seqs: list[int]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The rows of ``entries`` placed after ``position`` in ``chain``, each hashed over the one
    before it, and the chain head's new values."""
    rows = []
    for entry, seq in zip(entries, seqs, strict=True):
        position += 1
        fields = tuple(getattr(entry, name) for name in HASHED_COLUMNS)
        digest = record_hash(last_hash, chain, position, seq, fields)
        rows.append(
            {
                "seq": seq,
                "chain": chain,
                "chain_pos": position,
                **dict(zip(HASHED_COLUMNS, fields, strict=True)),
                "prev_hash": last_hash,
                "hash": digest,
            }
        )
        last_hash = digest
    return rows, {"head_id": chain, "head_pos": position, "head_hash": last_hash}


_DriverStatement = Callable[[Mapping[str, Any]], tuple[str, Mapping[str, Any]]]
_driver_statements: dict[tuple[Any, Any], _DriverStatement] = {}


def _driver_statement(statement: Any, dialect: Any) -> _DriverStatement:
    """``statement`` compiled once for the driver: its SQL and the parameters for given values,
    with the defaults the statement holds (a LIMIT's 1, say)."""
    known = _driver_statements.get((statement, dialect))
    if known is None:
        compiled = statement.compile(dialect=dialect)
        sql = str(compiled)

        def known(values: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
            return sql, compiled.construct_params(dict(values))

        _driver_statements[(statement, dialect)] = known
    return known


def _prepared_statements() -> tuple[Any, Any]:
    """Built once, so that SQLAlchemy compiles them once."""
    heads = table_of(AuditChainHead)
    records = table_of(AuditRecord)
    advance = (
        update(heads)
        .where(heads.c.id == bindparam("head_id"))
        .values(last_pos=bindparam("head_pos"), last_hash=bindparam("head_hash"))
    )
    append_one = insert(records).values(
        {c.name: bindparam(c.name, type_=c.type) for c in records.columns}
    )
    # PostgreSQL: one round trip inserts the record and advances the head.
    return advance, advance.add_cte(append_one.cte("appended"))


_ADVANCE_HEAD, _APPEND_ONE_AND_ADVANCE = _prepared_statements()
_APPEND_MANY = BulkInsert(table_of(AuditRecord))


def _lock_a_chain(
    session: Session | Connection, postgres: bool, count: int
) -> tuple[int, int, str, list[int]]:
    """Lock a chain head until commit (any free one on PostgreSQL) and draw ``count`` seqs, in
    one round trip."""
    heads = table_of(AuditChainHead)
    if not postgres:
        # No row locks in SQLite: a write takes the database's write lock until the end of the
        # transaction, so there is one writer and one chain, and seq is simply the next number.
        session.execute(update(heads).where(heads.c.id == 1).values(last_pos=heads.c.last_pos))
        records = table_of(AuditRecord)
        next_seq = select(func.coalesce(func.max(records.c.seq), 0) + 1).scalar_subquery()
        row = session.execute(
            select(heads.c.id, heads.c.last_pos, heads.c.last_hash, next_seq).where(heads.c.id == 1)
        ).one()
        first = int(row[3])
        return int(row[0]), int(row[1]), str(row[2]), list(range(first, first + count))

    any_free_head, given_head = _LOCKING[count == 1]
    sizes = {} if count == 1 else {"count": count}
    row = (
        session.execute(any_free_head, sizes).first()
        or session.execute(
            given_head,  # every chain busy: queue behind one of them
            {**sizes, "head_id": random.randint(1, AUDIT_CHAINS)},  # noqa: S311
        ).one()
    )
    seqs = [row[3]] if count == 1 else sorted(row[3])  # sorted, they keep the batch's order
    return int(row[0]), int(row[1]), str(row[2]), seqs


def _locking_statements(one: bool) -> tuple[Any, Any]:
    """The statements that lock a chain head and draw the seqs, in one round trip: any free head,
    or a given one. Built once, so that SQLAlchemy compiles each once; a batch's size is a
    parameter."""
    heads = table_of(AuditChainHead)
    if one:
        seqs: Any = AUDIT_SEQ.next_value()
    else:
        seqs = (
            select(func.array_agg(AUDIT_SEQ.next_value()))
            .select_from(func.generate_series(1, bindparam("count")))
            .scalar_subquery()
        )

    def with_seqs(locking: Any) -> Any:
        # The seqs are drawn outside the locking query: only for the one head it locked.
        locked = locking.subquery()
        return select(locked.c.id, locked.c.last_pos, locked.c.last_hash, seqs)

    head = select(heads.c.id, heads.c.last_pos, heads.c.last_hash)
    free = with_seqs(head.order_by(heads.c.id).limit(1).with_for_update(skip_locked=True))
    given = with_seqs(head.where(heads.c.id == bindparam("head_id")).with_for_update())
    return free, given


# By whether one seq is drawn or several.
_LOCKING = {one: _locking_statements(one) for one in (True, False)}
