"""The unified store: one Apache Iceberg table per catalog resource.

The Iceberg catalog lives in the platform database (pyiceberg's SQL catalog, tables made by our
migrations); data files are Parquet in the warehouse folder or S3-compatible storage. Each write
is one atomic snapshot whose summary records the run: a failure before the commit leaves the
table exactly as it was, and a run key already in a snapshot is never written twice.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url

from exchange import store_encryption
from exchange.settings import Settings

if TYPE_CHECKING:  # pyiceberg and pyarrow load only where data moves, not at API start-up
    import pyarrow as pa
    from pyarrow.fs import FileSystem
    from pyiceberg.catalog.sql import SqlCatalog
    from pyiceberg.table import Table

NAMESPACE = "exchange"
RUN_KEY = "exchange.run-key"


def table_name(resource_code: str) -> str:
    """``202/000001`` → ``r_202_000001``."""
    return "r_" + resource_code.replace("/", "_")


def resource_code_of(table: str) -> str:
    """``r_202_000001`` → ``202/000001`` (classification codes are digits only)."""
    return table.removeprefix("r_").replace("_", "/", 1)


# Called with the resource code after each snapshot this process commits: the API's snapshot
# cache, which other processes' commits reach by a database notice instead (migration 0022).
_commit_observers: list[Callable[[str], None]] = []


def observe_commits(observer: Callable[[str], None]) -> None:
    _commit_observers.append(observer)


def stop_observing_commits(observer: Callable[[str], None]) -> None:
    if observer in _commit_observers:
        _commit_observers.remove(observer)


@dataclass(frozen=True)
class SnapshotInfo:
    snapshot_id: int
    timestamp_ms: int
    operation: str
    properties: dict[str, str]


# pyiceberg gathers a stream into data files of this many bytes of Arrow data before writing
# each (its default, 512 MiB, would be what a large ingest holds in memory); ~128 MiB of Arrow
# makes Parquet files of some tens of MB.
TABLE_PROPERTIES = {"write.target-file-size-bytes": str(128 << 20)}


class UnifiedStore:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def catalog(self) -> "SqlCatalog":
        from pyiceberg.catalog.sql import SqlCatalog

        url = make_url(self.settings.resolved_database_url)
        if url.get_backend_name() == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        if self.settings.warehouse_uri is None:
            self.settings.resolved_warehouse_path.mkdir(parents=True, exist_ok=True)
        catalog = SqlCatalog(
            "exchange",
            uri=url.render_as_string(hide_password=False),
            warehouse=self.settings.resolved_warehouse_uri,
            init_catalog_tables="false",
            **self._storage_properties(),
        )
        catalog.create_namespace_if_not_exists(NAMESPACE)
        store_encryption.register(self.settings, catalog)
        return catalog

    def _storage_properties(self) -> dict[str, str]:
        """How pyiceberg reaches the warehouse's files (S3 endpoint and keys when set)."""
        return {
            key: value
            for key, value in (
                ("s3.endpoint", self.settings.s3_endpoint),
                ("s3.access-key-id", self.settings.s3_access_key_id),
                ("s3.secret-access-key", self.settings.s3_secret_access_key),
                ("s3.region", self.settings.s3_region),
            )
            if value
        }

    def warehouse_file_system(self) -> "tuple[FileSystem, str]":
        """The warehouse's file system, configured as the tables' own files are read, and the
        warehouse's root path in it: for copying the warehouse as a whole (backups)."""
        from pyiceberg.io.pyarrow import PyArrowFileIO

        scheme, netloc, path = PyArrowFileIO.parse_location(self.settings.resolved_warehouse_uri)
        return PyArrowFileIO(self._storage_properties()).fs_by_scheme(scheme, netloc), path

    def identifier(self, resource_code: str) -> str:
        return f"{NAMESPACE}.{table_name(resource_code)}"

    def table(self, resource_code: str) -> "Table | None":
        from pyiceberg.exceptions import NoSuchTableError

        try:
            return self.catalog.load_table(self.identifier(resource_code))
        except NoSuchTableError:
            return None

    def ensure_table(self, resource_code: str, schema: "pa.Schema") -> "Table":
        table = self.table(resource_code)
        if table is None:
            table = self.catalog.create_table(
                self.identifier(resource_code), schema=schema, properties=TABLE_PROPERTIES
            )
        return table

    def snapshot_for_run(self, resource_code: str, run_key: str) -> int | None:
        """The snapshot a run already committed, if any: a retried run must not write again. An
        overwrite commits a delete and an append, both marked with the run key: the append is
        the data, the delete (an empty table) never is."""
        committed = None
        for snapshot in self.snapshots(resource_code):
            if snapshot.properties.get(RUN_KEY) == run_key and snapshot.operation != "delete":
                committed = snapshot.snapshot_id
        return committed

    def write(
        self,
        resource_code: str,
        data: "pa.Table | pa.RecordBatchReader",
        *,
        overwrite: bool,
        run_key: str,
        properties: dict[str, str],
        sensitive: frozenset[str] = frozenset(),
    ) -> int:
        """Commit ``data`` as one snapshot (all of it or none) and return its id. A reader is
        written as it is read, in files of the table's target size, so memory stays bounded.
        The ``sensitive`` columns are encrypted in the files written (R21)."""
        table = self.ensure_table(resource_code, data.schema)
        table = store_encryption.prepare(self.settings, table, sensitive)
        summary = {**properties, RUN_KEY: run_key}
        if overwrite and table.current_snapshot() is not None:
            table.overwrite(data, snapshot_properties=summary)
        else:
            table.append(data, snapshot_properties=summary)
        current = table.current_snapshot()
        assert current is not None
        for observer in list(_commit_observers):
            observer(resource_code)
        return int(current.snapshot_id)

    def rotate_keys(self) -> tuple[int, int]:
        """A new root key re-wrapping every resource's key: (its number, resources re-wrapped)."""
        return store_encryption.rotate(self.settings, self.catalog, NAMESPACE)

    def snapshots(self, resource_code: str) -> list[SnapshotInfo]:
        table = self.table(resource_code)
        if table is None:
            return []
        return [
            SnapshotInfo(
                s.snapshot_id,
                s.timestamp_ms,
                str(s.summary.operation.value) if s.summary else "",
                dict(s.summary.additional_properties) if s.summary else {},
            )
            for s in table.snapshots()
        ]

    def current_snapshot_id(self, resource_code: str) -> int | None:
        table = self.table(resource_code)
        snapshot = table.current_snapshot() if table is not None else None
        return None if snapshot is None else int(snapshot.snapshot_id)

    def scan(
        self,
        resource_code: str,
        *,
        columns: tuple[str, ...] | None = None,
        row_filter: Any = None,
        snapshot_id: int | None = None,
        limit: int | None = None,
    ) -> "pa.Table":
        """Read a resource: column projection, a pyiceberg filter (e.g. ``EqualTo("district", "南山区")``
        or a string ``"district == '南山区'"``) and a snapshot, the current one by default."""
        table = self.table(resource_code)
        if table is None:
            raise LookupError(f"resource {resource_code} has no data in the store yet")
        options: dict[str, Any] = {"selected_fields": columns or ("*",), "limit": limit}
        if row_filter is not None:
            options["row_filter"] = row_filter
        if snapshot_id is not None:
            options["snapshot_id"] = snapshot_id
        return table.scan(**options).to_arrow()

    def file_batches(
        self, resource_code: str, *, snapshot_id: int, columns: tuple[str, ...]
    ) -> Iterator["pa.RecordBatch"]:
        """A snapshot's rows batch by batch, one data file at a time, so that memory is bounded by a
        file however large the snapshot (pyiceberg's own batch reader reads every file at once)."""
        from pyiceberg.io.pyarrow import ArrowScan

        table = self.table(resource_code)
        if table is None:
            raise LookupError(f"resource {resource_code} has no data in the store yet")
        scan = table.scan(selected_fields=columns, snapshot_id=snapshot_id)
        files = ArrowScan(
            scan.table_metadata, scan.io, scan.projection(), scan.row_filter, scan.case_sensitive
        )
        for task in scan.plan_files():
            yield from files.to_record_batches([task])

    def stored_bytes(self, resource_code: str, snapshot_id: int) -> int | None:
        """The size of a snapshot's data files, as its summary records it (None if unrecorded)."""
        table = self.table(resource_code)
        snapshot = None if table is None else table.snapshot_by_id(snapshot_id)
        if snapshot is None or snapshot.summary is None:
            return None
        size = snapshot.summary.get("total-files-size")
        return None if size is None else int(size)
