"""The record each read of shared data leaves (R16, R17): a usage row and an audit record.

A read's data is sent only after its record is committed. The API does not give each read a
transaction of its own: :class:`ReadRecorder` gathers the records of the reads arriving together
and commits them in one transaction (a group commit), one audit-chain append for all of them,
through a Core connection (no ORM unit of work). Each read still waits for the commit that holds
its record, so what was sent is always on record; the cost of a commit is shared by every read in
it.
"""

import asyncio
import contextlib
import queue
import threading
import time
import weakref
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from exchange import audit
from exchange.bulk_insert import BulkInsert
from exchange.db import Database, table_of
from exchange.principal import Principal
from policies.masking import describe
from policies.models import DataUsage
from policies.pdp import Decision, ResourceFacts


@dataclass(frozen=True)
class ReadRecord:
    actor: Principal
    facts: ResourceFacts
    decision: Decision
    mode: str
    purpose: str
    rows: int
    snapshot_id: int | None
    at: datetime

    @property
    def access(self) -> str:
        return "masked" if self.decision.masked else "read"


_INSERT_USAGE = BulkInsert(
    table_of(DataUsage), [c.name for c in table_of(DataUsage).columns if c.name != "id"]
)


def write_records(connection: Connection, records: list[ReadRecord]) -> None:
    """Insert the usage rows and append the audit records of ``records`` in the connection's
    transaction."""
    _INSERT_USAGE.execute(connection, [_usage_row(each) for each in records])
    audit.append_to_chain(connection, [_audit_entry(each) for each in records])


def _audit_entry(record: ReadRecord) -> audit.Entry:
    decision = record.decision
    return audit.entry(
        at=record.at,
        actor=record.actor,
        action=f"data.{record.mode}",
        object_type="catalog_resource",
        object_id=record.facts.code,
        purpose=record.purpose,
        grant_id=decision.grant_id,
        detail={
            "basis": decision.basis,
            "items": list(decision.items),
            "rows": record.rows,
            "snapshot_id": record.snapshot_id,
            "row_filter": decision.row_filter,
            "masked": describe(decision.masked, decision.items) or None,
        },
    )


def _usage_row(record: ReadRecord) -> dict[str, object]:
    assert record.actor.department_id is not None
    return {
        "at": record.at,
        "resource_id": record.facts.resource_id,
        "provider_department_id": record.facts.provider_department_id,
        "consumer_department_id": record.actor.department_id,
        "user_id": record.actor.user_id,
        "grant_id": record.decision.grant_id,
        "basis": record.decision.basis,
        "mode": record.mode,
        "access": record.access,
        "purpose": record.purpose,
        "items": list(record.decision.items),
        "rows": record.rows,
        "snapshot_id": record.snapshot_id,
    }


class ReadRecorder:
    """Group commit of read records.

    ``await record(r)`` returns once ``r`` is committed, or raises what the commit raised. While a
    commit is running, new records wait for the next one, so under load each commit carries as
    many records as arrived during the previous one and the moment after it (at most
    ``max_batch``).

    On PostgreSQL one writer thread of the recorder's own commits, each in two round trips
    (:func:`exchange.audit.commit_with_chain_append`), during which the thread frees the event
    loop; each batch's reads are woken with one call per event loop. On SQLite a commit is a
    millisecond of CPU and fsync, cheaper on the event loop than any hand-off to a thread
    (measured: 1.7 against 2.4 ms of CPU per small read), so each event loop commits its own
    queue (a server has one loop; test clients may start several).
    """

    def __init__(self, database: Database, max_batch: int = 1000) -> None:
        self.database = database
        self.max_batch = max_batch
        self._commit_on_loop = database.dialect == "sqlite"
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue] = (
            weakref.WeakKeyDictionary()
        )
        self._inbox: queue.SimpleQueue[_Waiting | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._writer_lock = threading.Lock()
        # The writer thread's own connection, kept between commits: a connection from the pool
        # for each commit cost a round trip (the pool's liveness ping) and its bookkeeping. One
        # left idle longer than ``recheck_after_idle`` seconds (the server may have closed it)
        # goes back to the pool, which checks the one it hands out instead.
        self._writer_connection: Connection | None = None
        self._writer_committed_at = 0.0
        self.recheck_after_idle = 10.0
        # A commit that follows another within ``busy_within`` seconds first waits ``gather_for``
        # seconds for more records; a read arriving alone is committed at once.
        self.busy_within = 0.05
        self.gather_for = 0.0015

    async def record(self, record: ReadRecord) -> None:
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        if self._commit_on_loop:
            queue_of_loop = self._queues.get(loop)
            if queue_of_loop is None:
                queue_of_loop = self._queues[loop] = _Queue()
            queue_of_loop.waiting.append((record, done))
            if queue_of_loop.writer is None or queue_of_loop.writer.done():
                queue_of_loop.writer = loop.create_task(self._write_queued(queue_of_loop))
        else:
            self._inbox.put(_Waiting(record, loop, done))
            self._start_writer()
        # A read whose client went away is recorded all the same: it was decided and answered.
        await asyncio.shield(done)

    def stop(self) -> None:
        """Commit what is waiting, then end the writer thread (the API calls this when it stops)."""
        with self._writer_lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            self._inbox.put(None)
            writer.join(timeout=30)

    def _start_writer(self) -> None:
        # A writer that died (it should not: a failed commit fails its batch, not the thread)
        # would leave every read waiting: a new one takes over the queue.
        if self._writer is not None and self._writer.is_alive():
            return
        with self._writer_lock:
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(
                    target=self._write_forever, name="read-records", daemon=True
                )
                self._writer.start()

    def _write_forever(self) -> None:
        while True:
            first = self._inbox.get()
            batch = [] if first is None else [first]
            stopping = first is None
            if not stopping and time.monotonic() - self._writer_committed_at < self.busy_within:
                # Under load, the reads being answered now join this commit rather than the next:
                # each commit costs the worker's one core about half a millisecond whatever it
                # holds, so commits of one or two records would starve the reads themselves.
                time.sleep(self.gather_for)
            while len(batch) < self.max_batch:
                try:
                    more = self._inbox.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                batch.append(more)
            if batch:
                self._commit_and_wake(batch)
            if stopping:
                self._let_go_of_connection()
                return

    def _commit_and_wake(self, batch: "list[_Waiting]") -> None:
        error: Exception | None = None
        try:
            self._commit([waiting.record for waiting in batch])
        except Exception as failed:  # every read in the batch fails, none is sent
            error = failed
            self._let_go_of_connection()  # the next batch starts on a fresh, checked one
        by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
        for waiting in batch:
            by_loop.setdefault(waiting.loop, []).append(waiting.done)
        for loop, futures in by_loop.items():
            # A loop that has closed has nobody waiting any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, futures, error)

    async def _write_queued(self, queued: "_Queue") -> None:
        while True:
            # Let the requests already running on the loop queue their records first.
            await asyncio.sleep(0)
            if not queued.waiting:
                return
            batch = queued.waiting[: self.max_batch]
            del queued.waiting[: self.max_batch]
            try:
                self._commit([record for record, _ in batch])
            except Exception as error:  # every read in the batch fails, none is sent
                _settle([done for _, done in batch], error)
            else:
                _settle([done for _, done in batch], None)

    def _commit(self, records: list[ReadRecord]) -> None:
        if self._commit_on_loop:
            with self.database.engine.begin() as connection:
                write_records(connection, records)
            return
        # On the writer thread, the only one to commit on PostgreSQL.
        if time.monotonic() - self._writer_committed_at > self.recheck_after_idle:
            self._let_go_of_connection()
        if self._writer_connection is None:
            self._writer_connection = self.database.engine.connect()
        audit.commit_with_chain_append(
            self._writer_connection,
            [_audit_entry(each) for each in records],
            [(_INSERT_USAGE, [_usage_row(each) for each in records])],
        )
        self._writer_committed_at = time.monotonic()

    def _let_go_of_connection(self) -> None:
        connection, self._writer_connection = self._writer_connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # a broken connection is discarded all the same
                connection.close()


def _settle(futures: "list[asyncio.Future[None]]", error: Exception | None) -> None:
    for done in futures:
        if not done.done():
            if error is None:
                done.set_result(None)
            else:
                done.set_exception(error)


@dataclass(frozen=True)
class _Waiting:
    record: ReadRecord
    loop: asyncio.AbstractEventLoop
    done: "asyncio.Future[None]"


@dataclass
class _Queue:
    waiting: list[tuple[ReadRecord, "asyncio.Future[None]"]] = field(default_factory=list)
    writer: "asyncio.Task[None] | None" = None
