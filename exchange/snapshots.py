"""Snapshots held in memory for reading: the data API serves many small reads of the same few
resources, and decoding Parquet for each would cost more than the read itself.

A snapshot never changes, so a cached copy is valid for ever; what moves is which snapshot is
served. That is one indexed row of the Iceberg catalog (its metadata location) joined with the
resource's quality status (:mod:`exchange.data_status`). Where other processes' changes reach this
one (PostgreSQL, once the API follows them), the row is kept and forgotten when a change is
announced: a snapshot committed (by this process, or by any process through the notice a
trigger on the catalog table sends, migration 0022) or a quality status changed (announced with
the change). Elsewhere (SQLite, where Airflow's tasks commit in other processes without notice)
it is read on every request, over one connection kept open in autocommit mode: one round trip,
where a pooled checkout adds a ping, a BEGIN and a ROLLBACK around it.
"""

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from exchange.db import Database
from exchange.errors import Explained
from exchange.policy_changes import PolicyChange
from exchange.store import (
    NAMESPACE,
    UnifiedStore,
    observe_commits,
    stop_observing_commits,
    table_name,
)

if TYPE_CHECKING:
    import pyarrow as pa


class NoData(Explained):
    """The store has no data to serve for a resource (yet, or none that passed its checks)."""


class NotInMemory(Exception):
    """Raised instead of loading a snapshot or building an index when only memory may be used."""


_SERVED = text(
    "SELECT t.metadata_location, s.quarantined_snapshot_id, s.fallback_snapshot_id, "
    "s.quarantine_reason, s.open_issues FROM iceberg_tables t "
    "LEFT JOIN resource_data_status s ON s.resource_code = :code "
    "WHERE t.table_namespace = :ns AND t.table_name = :name"
)


@dataclass(frozen=True)
class Served:
    """The snapshot readers get, and what they are told about its quality."""

    snapshot_id: int
    current_snapshot_id: int
    quarantine_reason: str | None = None  # set while the current snapshot is quarantined
    open_issues: int = 0  # the resource is under verification while this is above zero

    @property
    def fallback(self) -> bool:
        return self.snapshot_id != self.current_snapshot_id


# How many times its compressed Parquet size a snapshot takes in memory, roughly: enough to tell
# a snapshot that fits the cache from one that never will.
PARQUET_EXPANSION = 5


class SnapshotCache:
    def __init__(self, store: UnifiedStore, database: Database, max_bytes: int) -> None:
        self.store = store
        self.database = database
        self.max_bytes = max_bytes
        self._tables: OrderedDict[tuple[str, int], pa.Table] = OrderedDict()
        self._current: dict[str, tuple[str, int]] = {}  # code -> (metadata location, snapshot)
        self._indexes: dict[tuple[str, int, str], dict[Any, list[int]]] = {}
        self._lock = threading.Lock()
        # One thread loads a snapshot or builds an index; readers wanting the same wait for it.
        # A new snapshot is wanted by every reader at once, and each loading its own copy of a
        # million rows multiplied the time and the memory by the readers.
        self._loading: dict[tuple[Any, ...], threading.Lock] = {}
        self._lookup: Connection | None = None
        self._lookup_lock = threading.Lock()
        # code -> the row of _SERVED, kept while changes are followed; the generation moves on
        # each change, so that a row read before a change is not kept after it.
        self._served_rows: dict[str, tuple[Any, ...] | None] = {}
        self._generation = 0
        self._served_lock = threading.Lock()
        database.change_bus.subscribe(self._on_change)
        observe_commits(self._on_commit)

    def _on_change(self, change: PolicyChange) -> None:
        if change.topic in ("data", "all"):
            self._forget_served()

    def _on_commit(self, code: str) -> None:
        self._forget_served()

    def _forget_served(self) -> None:
        with self._served_lock:
            self._generation += 1
            self._served_rows.clear()

    def served(self, code: str, *, provider: bool = False) -> Served:
        """The current snapshot, or the last one that passed its checks while the current one is
        quarantined. The providing department is served its current snapshot even then, with the
        quarantine stated: it must see what to correct."""
        row = self._served_row(code)
        if row is None:
            raise NoData("resource {code} has no data in the store yet", code=code)
        location, quarantined, fallback, reason, open_issues = row
        current = self._current_snapshot_id(code, location)
        if quarantined is None or quarantined != current:
            return Served(current, current, None, open_issues or 0)
        if provider:
            return Served(current, current, reason, open_issues or 0)
        if fallback is None:
            raise NoData(
                "the current data of {code} is quarantined ({reason}) and no earlier snapshot passed its checks; the provider has been asked to correct it",
                code=code,
                reason=reason,
            )
        return Served(int(fallback), current, reason, open_issues or 0)

    def _served_row(self, code: str) -> tuple[Any, ...] | None:
        keep = self.database.change_bus.following
        with self._served_lock:
            if keep and code in self._served_rows:
                return self._served_rows[code]
            generation = self._generation
        row = self._read_served_row(code)
        if keep:
            with self._served_lock:
                if generation == self._generation:
                    self._served_rows[code] = row
        return row

    def _read_served_row(self, code: str) -> tuple[Any, ...] | None:
        parameters = {"code": code, "ns": NAMESPACE, "name": table_name(code)}
        with self._lookup_lock:
            try:
                return self._look_up(parameters)
            except DBAPIError as error:
                self._drop_lookup()
                if not error.connection_invalidated:
                    raise
            # The server restarted or dropped the connection: once more on a new one.
            return self._look_up(parameters)

    def _look_up(self, parameters: dict[str, str]) -> tuple[Any, ...] | None:
        if self._lookup is None:
            self._lookup = self.database.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            )
        row = self._lookup.execute(_SERVED, parameters).first()
        return None if row is None else tuple(row)

    def _drop_lookup(self) -> None:
        if self._lookup is not None:
            self._lookup.invalidate()
            self._lookup.close()
            self._lookup = None

    def close(self) -> None:
        """Give the lookup connection back and stop following (the API calls this when it stops)."""
        self.database.change_bus.unsubscribe(self._on_change)
        stop_observing_commits(self._on_commit)
        with self._lookup_lock:
            if self._lookup is not None:
                self._lookup.close()
                self._lookup = None

    def _current_snapshot_id(self, code: str, location: str) -> int:
        known = self._current.get(code)
        if known is not None and known[0] == location:
            return known[1]
        snapshot_id = self.store.current_snapshot_id(code)
        if snapshot_id is None:
            raise NoData("resource {code} has no data in the store yet", code=code)
        self._current[code] = (location, snapshot_id)
        return snapshot_id

    def fits(self, code: str, snapshot_id: int) -> bool:
        """Whether the snapshot is, or would be, kept in memory. One that would not is read
        file by file (``batches``) rather than whole for each request."""
        with self._lock:
            if (code, snapshot_id) in self._tables:
                return True
        stored = self.store.stored_bytes(code, snapshot_id)
        return stored is None or stored * PARQUET_EXPANSION <= self.max_bytes

    def batches(
        self, code: str, snapshot_id: int, columns: tuple[str, ...]
    ) -> Iterator["pa.RecordBatch"]:
        return self.store.file_batches(code, snapshot_id=snapshot_id, columns=columns)

    def read(self, code: str, snapshot_id: int, memory_only: bool = False) -> "pa.Table":
        """The whole snapshot; kept while it fits in the budget, least recently used first out."""
        key = (code, snapshot_id)
        with self._lock:
            cached = self._tables.get(key)
            if cached is not None:
                self._tables.move_to_end(key)
                return cached
        if memory_only:
            raise NotInMemory(code, snapshot_id)
        with self._one_loader(key):
            with self._lock:
                cached = self._tables.get(key)
            return cached if cached is not None else self._load(code, snapshot_id)

    def _load(self, code: str, snapshot_id: int) -> "pa.Table":
        key = (code, snapshot_id)
        try:
            data = _contiguous(self.store.scan(code, snapshot_id=snapshot_id))
        except ValueError as error:  # pyiceberg: unknown snapshot id
            raise NoData(
                "resource {code} has no snapshot {snapshot_id}", code=code, snapshot_id=snapshot_id
            ) from error
        if data.nbytes <= self.max_bytes:
            with self._lock:
                self._tables[key] = data
                while sum(t.nbytes for t in self._tables.values()) > self.max_bytes:
                    evicted, _ = self._tables.popitem(last=False)
                    for index_key in [k for k in self._indexes if k[:2] == evicted]:
                        del self._indexes[index_key]
        return data

    @contextlib.contextmanager
    def _one_loader(self, key: tuple[Any, ...]) -> Iterator[None]:
        """Held while loading what ``key`` names; who waited for it then finds it loaded."""
        with self._lock:
            loading = self._loading.setdefault(key, threading.Lock())
        with loading:
            try:
                yield
            finally:  # loaded or failed, the next reader to miss starts afresh
                with self._lock:
                    self._loading.pop(key, None)

    def rows_equal(
        self, code: str, snapshot_id: int, column: str, value: Any, memory_only: bool = False
    ) -> list[int]:
        """Positions of the rows whose ``column`` equals ``value``: a hash index built on first use,
        so that looking up one enterprise by its key does not scan a million rows each time."""
        key = (code, snapshot_id, column)
        index = self._indexes.get(key)
        if index is None:
            if memory_only:
                raise NotInMemory(code, snapshot_id, column)
            with self._one_loader(key):
                index = self._indexes.get(key)
                if index is None:
                    index = {}
                    column_values = self.read(code, snapshot_id)[column].to_pylist()
                    for position, each in enumerate(column_values):
                        index.setdefault(each, []).append(position)
                    with self._lock:
                        self._indexes[key] = index
        return index.get(value, [])


def _contiguous(data: "pa.Table") -> "pa.Table":
    """One chunk per column: taking a few rows by position from a table of many chunks costs
    milliseconds, from one chunk microseconds. Columns too large for one chunk stay chunked."""
    import pyarrow as pa

    try:
        return data.combine_chunks()
    except pa.ArrowInvalid:  # e.g. more than 2 GB of strings in one column
        return data
