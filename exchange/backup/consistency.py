"""What a restored platform must show: an intact audit chain, every Iceberg table's current
snapshot complete in the warehouse, and every snapshot the platform's records say was committed
present in its table. Which snapshots were committed is the domains' knowledge (collection's
ingest runs): they offer it as a ledger, so this core module reaches into no domain."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from exchange.audit.checkpoint import verify_audit
from exchange.audit.verify import ChainReport
from exchange.db import Database
from exchange.settings import Settings
from exchange.store import NAMESPACE, UnifiedStore, table_name


@dataclass(frozen=True)
class CommittedSnapshot:
    """A record saying a snapshot was committed: the resource, what committed it, the snapshot."""

    code: str
    committed_by: str  # e.g. "ingest run 12"
    snapshot_id: int
    run_id: int = 0  # the committing record's number, in the order they were made


# What a domain offers the restore check: every snapshot its records say was committed.
SnapshotLedger = Callable[[Session], Iterable[CommittedSnapshot]]


@dataclass
class RestoreCheck:
    audit: ChainReport
    taken_at: str = ""  # when the restored backup was taken
    tables: int = 0
    data_files: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.audit.ok and not self.problems


def check_restored(settings: Settings, ledgers: Sequence[SnapshotLedger]) -> RestoreCheck:
    database = Database(settings.resolved_database_url)
    try:
        with database.engine.connect() as connection:
            result = RestoreCheck(verify_audit(connection, settings))
        with database.sessions() as session:
            committed = [entry for ledger in ledgers for entry in ledger(session)]
    finally:
        database.dispose()
    store = UnifiedStore(settings)
    snapshots_by_table: dict[str, set[int]] = {}
    for _namespace, name in store.catalog.list_tables(NAMESPACE):
        table = store.catalog.load_table((NAMESPACE, name))
        result.tables += 1
        snapshots_by_table[name] = {s.snapshot_id for s in table.snapshots()}
        if table.current_snapshot() is None:
            continue
        for task in table.scan().plan_files():
            result.data_files += 1
            if not table.io.new_input(task.file.file_path).exists():
                result.problems.append(f"{name}: data file missing: {task.file.file_path}")
    for entry in committed:
        if entry.snapshot_id not in snapshots_by_table.get(table_name(entry.code), set()):
            result.problems.append(
                f"{entry.committed_by} of {entry.code} committed snapshot {entry.snapshot_id}, "
                "which its table does not have"
            )
    return result
