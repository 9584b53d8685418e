"""What a restored platform must show: an intact audit chain, every Iceberg table's current
snapshot complete in the warehouse, and every successful ingest run's snapshot in its table."""

from dataclasses import dataclass, field

from sqlalchemy import select

from exchange.audit.checkpoint import verify_audit
from exchange.audit.verify import ChainReport
from exchange.db import Database
from exchange.settings import Settings
from exchange.store import NAMESPACE, UnifiedStore, table_name


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


def check_restored(settings: Settings) -> RestoreCheck:
    from catalog.models import Resource
    from collection.models import IngestRun

    database = Database(settings.resolved_database_url)
    try:
        with database.engine.connect() as connection:
            result = RestoreCheck(verify_audit(connection, settings))
        with database.sessions() as session:
            runs = session.execute(
                select(Resource.code, IngestRun.id, IngestRun.snapshot_id)
                .join(IngestRun, IngestRun.resource_id == Resource.id)
                .where(IngestRun.status == "succeeded", IngestRun.snapshot_id.is_not(None))
            ).all()
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
    for code, run_id, snapshot_id in runs:
        if snapshot_id not in snapshots_by_table.get(table_name(code), set()):
            result.problems.append(
                f"ingest run {run_id} of {code} succeeded with snapshot {snapshot_id}, "
                "which its table does not have"
            )
    return result
