"""Backups (issue: deployment): the database and the warehouse come back as one consistent state,
also when the backup was taken while ingestion kept committing; a damaged backup or a target that
is not empty is refused before anything is written."""

import json
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.engine import make_url

import exchange.backup
from collection.ingest import committed_snapshots, ingest
from collection.models import IngestRun
from exchange.audit.models import AuditRecord
from exchange.backup import database as backup_database
from exchange.backup import read_manifest, restore_backup, take_backup
from exchange.db import Database
from exchange.errors import Conflict, InvalidInput
from exchange.settings import Settings
from exchange.store import UnifiedStore
from exchange_cli import main
from tests.catalog_fixtures import CatalogWorld
from tests.collection_fixtures import full_load_source, use_s3_warehouse

# What the command line passes: collection's record of the snapshots its runs committed.
LEDGERS = [committed_snapshots]


@pytest.fixture
def empty_database_url(database: Database, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it, of the same kind as the platform's: the restore target."""
    if database.dialect == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored' / 'exchange.db'}"
        return
    name = f"exchange_test_restore_{uuid.uuid4().hex[:8]}"
    maintenance = make_url(database.url).set(drivername="postgresql", database="postgres")
    dsn = maintenance.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield make_url(database.url).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _restored_settings(settings: Settings, url: str, tmp_path: Path) -> Settings:
    """The same warehouse location (Iceberg names files absolutely), secret key (it opens the
    sources' credentials and signs the audit checkpoints) and warehouse key file (it opens the
    sensitive items, R21), a new database and data folder."""
    return settings.model_copy(
        update={
            "database_url": url,
            "data_dir": tmp_path / "restored",
            "warehouse_path": settings.resolved_warehouse_path,
            "secret_key": (settings.data_dir / "secret.key").read_text().strip(),
            "warehouse_key_file": settings.resolved_warehouse_key_file,
        }
    )


def _env(settings: Settings) -> dict[str, str]:
    return {
        "EXCHANGE_DATABASE_URL": settings.resolved_database_url,
        "EXCHANGE_DATA_DIR": str(settings.data_dir),
        "EXCHANGE_WAREHOUSE_PATH": str(settings.resolved_warehouse_path),
        "EXCHANGE_WAREHOUSE_KEY_FILE": str(settings.resolved_warehouse_key_file),
        **({"EXCHANGE_SECRET_KEY": settings.secret_key} if settings.secret_key else {}),
    }


def test_backup_and_restore_bring_back_data_catalog_and_audit_chain(
    world: CatalogWorld, source_db: Path, tmp_path: Path, empty_database_url: str
) -> None:
    settings = world.platform.settings
    code, source_id = full_load_source(world, source_db)
    ingest(world.platform, source_id=source_id, run_key="before-backup")
    before = UnifiedStore(settings).scan(code)
    runner = CliRunner()
    taken = runner.invoke(
        main, ["backup", str(tmp_path / "backups" / "nightly")], env=_env(settings)
    )
    assert taken.exit_code == 0, taken.output
    assert "backup written to" in taken.output
    assert not (tmp_path / "backups" / "nightly.partial").exists()

    shutil.rmtree(settings.resolved_warehouse_path)  # the warehouse is lost
    target = _restored_settings(settings, empty_database_url, tmp_path)
    restored = runner.invoke(
        main, ["restore", str(tmp_path / "backups" / "nightly")], env=_env(target)
    )
    assert restored.exit_code == 0, restored.output
    assert "audit chain intact" in restored.output
    assert "restored and consistent" in restored.output
    assert UnifiedStore(target).scan(code).sort_by("uscc").equals(before.sort_by("uscc"))
    database = Database(target.resolved_database_url)
    with database.sessions() as session:
        actions = session.scalars(select(AuditRecord.action).order_by(AuditRecord.seq)).all()
        runs = session.scalars(select(IngestRun.run_key)).all()
    database.dispose()
    assert any(action.startswith("catalog.") for action in actions)
    assert actions[-1] == "platform.restore"
    assert runs == ["before-backup"]
    # The DAG list lives beside the data, not in the backup: the restore writes it again.
    specs = json.loads(target.dag_specs_path.read_text(encoding="utf-8"))
    assert [spec["dag_id"] for spec in specs] == [f"ingest_source_{source_id}"]

    # Restoring again over the restored platform is refused, and changes nothing.
    again = runner.invoke(
        main, ["restore", str(tmp_path / "backups" / "nightly")], env=_env(target)
    )
    assert again.exit_code == 2
    assert "not empty" in again.output
    assert UnifiedStore(target).scan(code).num_rows == before.num_rows


def test_a_damaged_backup_is_refused_before_anything_is_written(
    world: CatalogWorld, source_db: Path, tmp_path: Path, empty_database_url: str
) -> None:
    settings = world.platform.settings
    _code, source_id = full_load_source(world, source_db)
    ingest(world.platform, source_id=source_id, run_key="r1")
    backup = tmp_path / "backup"
    take_backup(settings, backup, now=world.platform.clock.now())
    with pytest.raises(Conflict):
        take_backup(settings, backup, now=world.platform.clock.now())  # never overwritten
    parquet = next((backup / "warehouse").rglob("*.parquet"))
    damaged = bytearray(parquet.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    parquet.write_bytes(bytes(damaged))

    shutil.rmtree(settings.resolved_warehouse_path)
    target = _restored_settings(settings, empty_database_url, tmp_path)
    with pytest.raises(InvalidInput, match="damaged") as refused:
        restore_backup(target, backup, ledgers=LEDGERS)
    assert parquet.relative_to(backup).as_posix() in refused.value.detail
    assert backup_database.is_empty(target.resolved_database_url)
    assert not settings.resolved_warehouse_path.exists()


def test_a_backup_taken_while_ingest_commits_restores_consistently(
    world: CatalogWorld,
    source_db: Path,
    tmp_path: Path,
    empty_database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = world.platform.settings
    code, source_id = full_load_source(world, source_db)
    finished: list[str] = []
    stop = threading.Event()

    def keep_ingesting() -> None:
        while not stop.is_set():
            key = f"run-{len(finished) + 1}"
            ingest(world.platform, source_id=source_id, run_key=key)
            finished.append(key)

    # The race that matters: commits land after the database is copied and before the
    # warehouse is. Hold the backup there until two more runs have committed.
    real_dump = backup_database.dump

    def dump_then_let_ingest_commit(url: str, folder: Path) -> backup_database.Dump:
        result = real_dump(url, folder)
        seen = len(finished)
        deadline = time.monotonic() + 60
        while len(finished) < seen + 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(finished) >= seen + 2, "ingestion did not commit during the backup"
        return result

    monkeypatch.setattr(exchange.backup.database, "dump", dump_then_let_ingest_commit)
    worker = threading.Thread(target=keep_ingesting)
    worker.start()
    try:
        while not finished:
            time.sleep(0.01)
        take_backup(settings, tmp_path / "backup", now=world.platform.clock.now())
    finally:
        stop.set()
        worker.join(timeout=60)
    committed_after = len(finished)

    shutil.rmtree(settings.resolved_warehouse_path)
    target = _restored_settings(settings, empty_database_url, tmp_path)
    check = restore_backup(target, tmp_path / "backup", ledgers=LEDGERS)
    assert check.ok, (check.audit.message, check.problems)
    assert check.tables == 1
    assert check.data_files >= 1

    database = Database(target.resolved_database_url)
    with database.sessions() as session:
        runs = dict(session.execute(select(IngestRun.run_key, IngestRun.status)).all())
    database.dispose()
    # The restored platform stops where the database copy was taken: before the later runs.
    assert 1 <= len(runs) < committed_after
    store = UnifiedStore(target)
    current = {s.snapshot_id: s for s in store.snapshots(code)}[store.current_snapshot_id(code)]
    assert runs[current.properties["exchange.run-key"]] in {"succeeded", "running"}
    assert store.scan(code).num_rows == 3  # full loads: the current snapshot is whole
    # Files of the commits after the database copy were in the warehouse copy, unreferenced.
    metadata = [
        f for f in read_manifest(tmp_path / "backup")["files"] if f.endswith(".metadata.json")
    ]
    assert len(metadata) > len(store.snapshots(code))


def test_backup_of_a_warehouse_in_object_storage(
    world: CatalogWorld, source_db: Path, tmp_path: Path, s3_endpoint: str, empty_database_url: str
) -> None:
    settings = world.platform.settings
    use_s3_warehouse(settings, s3_endpoint)
    code, source_id = full_load_source(world, source_db)
    ingest(world.platform, source_id=source_id, run_key="s3")
    take_backup(settings, tmp_path / "backup", now=world.platform.clock.now())
    filesystem, root = UnifiedStore(settings).warehouse_file_system()
    filesystem.delete_dir_contents(root)
    target = _restored_settings(settings, empty_database_url, tmp_path)
    with pytest.raises(InvalidInput, match="another location"):
        restore_backup(
            target.model_copy(update={"warehouse_uri": "s3://elsewhere/t"}),
            tmp_path / "backup",
            ledgers=LEDGERS,
        )
    check = restore_backup(target, tmp_path / "backup", ledgers=LEDGERS)
    assert check.ok, check.problems
    assert UnifiedStore(target).scan(code).num_rows == 3
