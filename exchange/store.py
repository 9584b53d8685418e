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
            table = self.catalog.create_table(self.identifier(resource_code), schema=schema)
        return table

    def snapshot_for_run(self, resource_code: str, run_key: str) -> int | None:
        """The snapshot a run already committed, if any: a retried run must not write again."""
        for snapshot in self.snapshots(resource_code):
            if snapshot.properties.get(RUN_KEY) == run_key:
                return snapshot.snapshot_id
        return None

    def write(
        self,
        resource_code: str,
        data: "pa.Table | pa.RecordBatchReader",
        *,
        overwrite: bool,
        run_key: str,
        properties: dict[str, str],
    ) -> int:
        """Commit ``data`` as one snapshot (all of it or none) and return its id. A reader is
        written as it is read, in files of the table's target size, so memory stays bounded."""
        table = self.ensure_table(resource_code, data.schema)
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

    def batches(self, resource_code: str, **options: Any) -> Iterator["pa.RecordBatch"]:
        table = self.table(resource_code)
        if table is None:
            raise LookupError(f"resource {resource_code} has no data in the store yet")
        yield from table.scan(**options).to_arrow_batch_reader()
