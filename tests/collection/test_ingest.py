"""R9-R11: sources, atomic idempotent ingestion into Iceberg, drift, bad rows, freshness."""

import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from pyiceberg.catalog.sql import SqlCatalog
from sqlalchemy import select, text

from catalog.models import CatalogUpdateTask
from collection import extract as extract_module
from collection import staging as staging_module
from collection.conform import ROW_HASH
from collection.freshness import freshness
from collection.ingest import IngestFailed, ingest
from collection.models import RejectedRow, Source
from exchange.clock import FrozenClock
from exchange.errors import InvalidInput, PermissionDenied
from exchange.store import UnifiedStore
from tests.catalog_fixtures import CatalogWorld
from tests.collection_fixtures import ROWS, drop_folder, publish_enterprises
from tests.scenarios.collection import register


def db_source(world: CatalogWorld, source_db: Path, **options: object) -> tuple[str, int]:
    code = publish_enterprises(world)
    source_id = register(
        world,
        code,
        "database",
        {"table": "enterprises"},
        {"url": f"sqlite:///{source_db.name}"},
        **options,
    )
    return code, source_id


def drop_updated_at(source_db: Path) -> None:
    with sqlite3.connect(source_db) as connection:
        connection.execute("ALTER TABLE enterprises DROP COLUMN updated_at")


def test_r9_database_source_lands_as_one_snapshot(world: CatalogWorld, source_db: Path) -> None:
    drop_updated_at(source_db)
    code, source_id = db_source(world, source_db)
    run = ingest(world.platform, source_id=source_id, run_key="manual-1")
    assert (run.status, run.rows_read, run.rows_written, run.rows_rejected) == (
        "succeeded",
        3,
        3,
        0,
    )
    store = UnifiedStore(world.platform.settings)
    [snapshot] = store.snapshots(code)
    assert snapshot.snapshot_id == run.snapshot_id
    assert snapshot.properties["exchange.run-key"] == "manual-1"
    assert snapshot.properties["exchange.rows"] == "3"
    assert snapshot.properties["exchange.content-sha256"] == run.content_hash
    data = store.scan(
        code, columns=("uscc", "registered_capital"), row_filter="uscc == '91440300MA5D0002X2'"
    )
    assert data.column_names == ["uscc", "registered_capital"]
    assert [str(v) for v in data.column("registered_capital").to_pylist()] == ["250.50"]
    with world.platform.database.transaction() as session:
        actions = session.execute(
            text("SELECT action, outcome FROM audit_records WHERE action = 'collection.ingest'")
        ).all()
    assert actions == [("collection.ingest", "allowed")]


def test_r9_credentials_are_encrypted_and_never_stored_in_clear(
    world: CatalogWorld, source_db: Path
) -> None:
    drop_updated_at(source_db)
    _, source_id = db_source(world, source_db)
    with world.platform.database.transaction() as session:
        stored = session.get_one(Source, source_id)
        assert stored.secret is not None
        assert str(source_db) not in stored.secret
        assert str(source_db) not in str(stored.config)


def test_r9_registration_tests_the_connection_against_the_catalog(
    world: CatalogWorld, source_db: Path, tmp_path: Path
) -> None:
    code = publish_enterprises(world)
    with pytest.raises(InvalidInput, match="columns not in the catalog: updated_at") as raised:
        register(
            world,
            code,
            "database",
            {"table": "enterprises"},
            {"url": f"sqlite:///{source_db.name}"},
        )
    assert raised.value.code == "source_check_failed"
    with pytest.raises(InvalidInput, match="check the connection settings, the table or query"):
        register(
            world,
            code,
            "database",
            {"table": "missing_table"},
            {"url": f"sqlite:///{source_db.name}"},
        )
    with pytest.raises(InvalidInput, match="credentials go in secret"):
        register(world, code, "database", {"table": "enterprises", "url": "x"}, {"url": "x"})
    with pytest.raises(PermissionDenied):
        register(world, code, "file", {"folder": "."}, {}, who="consumer")


def test_a_rerun_of_the_same_run_writes_nothing_new(world: CatalogWorld, source_db: Path) -> None:
    drop_updated_at(source_db)
    code, source_id = db_source(world, source_db)
    first = ingest(world.platform, source_id=source_id, run_key="2026-11-24")
    again = ingest(world.platform, source_id=source_id, run_key="2026-11-24")
    assert again.id == first.id
    assert again.snapshot_id == first.snapshot_id
    assert len(UnifiedStore(world.platform.settings).snapshots(code)) == 1


def test_failure_after_files_are_written_before_commit_leaves_the_table(
    world: CatalogWorld, source_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop_updated_at(source_db)
    code, source_id = db_source(world, source_db)
    ingest(world.platform, source_id=source_id, run_key="first")
    store = UnifiedStore(world.platform.settings)
    before = store.current_snapshot_id(code)
    with sqlite3.connect(source_db) as connection:
        connection.execute(
            "INSERT INTO enterprises VALUES ('91440300MA5D0004X4', '新公司', '赵六', '1')"
        )

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut during commit")

    monkeypatch.setattr(SqlCatalog, "commit_table", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        ingest(
            world.platform,
            source_id=source_id,
            run_key="second",
            store=UnifiedStore(world.platform.settings),
        )
    monkeypatch.undo()
    after = UnifiedStore(world.platform.settings)
    assert after.current_snapshot_id(code) == before
    assert after.scan(code).num_rows == 3
    warehouse = Path(world.platform.settings.resolved_warehouse_path)
    assert (
        len(list(warehouse.rglob("*.parquet"))) == 2
    )  # the crashed run's files exist, unreferenced


def test_a_retried_run_does_not_duplicate_rows(
    world: CatalogWorld, source_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, source_id = db_source(world, source_db, mode="incremental", watermark_column="updated_at")
    import collection.ingest as ingest_module

    original = ingest_module._finish
    calls = {"n": 0}

    def die_once(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("worker killed after the commit")
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest_module, "_finish", die_once)
    with pytest.raises(RuntimeError, match="worker killed"):
        ingest(world.platform, source_id=source_id, run_key="run-1")
    retried = ingest(world.platform, source_id=source_id, run_key="run-1")
    assert retried.status == "succeeded"
    store = UnifiedStore(world.platform.settings)
    assert store.scan(code).num_rows == 3
    assert len(store.snapshots(code)) == 1


def test_incremental_sources_append_only_what_is_new(world: CatalogWorld, source_db: Path) -> None:
    code, source_id = db_source(world, source_db, mode="incremental", watermark_column="updated_at")
    ingest(world.platform, source_id=source_id, run_key="1")
    with sqlite3.connect(source_db) as connection:
        connection.execute(
            "INSERT INTO enterprises VALUES ('91440300MA5D0004X4', '深圳市丁餐饮有限公司', '赵六', '5', '2026-11-20')"
        )
    run = ingest(world.platform, source_id=source_id, run_key="2")
    assert run.rows_written == 1
    store = UnifiedStore(world.platform.settings)
    assert store.scan(code).num_rows == 4
    first, second = store.snapshots(code)
    assert second.snapshot_id == run.snapshot_id
    assert (
        store.scan(code, snapshot_id=first.snapshot_id).num_rows == 3
    )  # time travel to the first load


def test_r7_schema_drift_fails_keeps_the_old_snapshot_and_opens_the_task(
    world: CatalogWorld, source_db: Path
) -> None:
    drop_updated_at(source_db)
    code, source_id = db_source(world, source_db)
    ingest(world.platform, source_id=source_id, run_key="1")
    with sqlite3.connect(source_db) as connection:
        connection.execute("ALTER TABLE enterprises ADD COLUMN business_scope TEXT")
        connection.execute("ALTER TABLE enterprises DROP COLUMN legal_representative")
    with pytest.raises(
        IngestFailed,
        match="missing columns: legal_representative; columns not in the catalog: business_scope",
    ):
        ingest(world.platform, source_id=source_id, run_key="2")
    store = UnifiedStore(world.platform.settings)
    assert len(store.snapshots(code)) == 1
    with world.platform.database.transaction() as session:
        [task] = session.scalars(select(CatalogUpdateTask)).all()
        assert (task.origin, task.state) == ("detected", "open")
        assert "business_scope" in task.description


def test_bad_rows_below_the_threshold_are_kept_aside_above_it_fail(
    world: CatalogWorld, source_db: Path
) -> None:
    drop_updated_at(source_db)
    with sqlite3.connect(source_db) as connection:
        connection.execute(
            "INSERT INTO enterprises VALUES ('91440300MA5D0004X4', '坏数据公司', '赵六', 'abc')"
        )
    code, source_id = db_source(world, source_db, bad_row_threshold=0.3)
    run = ingest(world.platform, source_id=source_id, run_key="1")
    assert (run.rows_read, run.rows_written, run.rows_rejected) == (4, 3, 1)
    with world.platform.database.transaction() as session:
        [rejected] = session.scalars(select(RejectedRow)).all()
        assert rejected.row_number == 4
        assert rejected.problems == ["registered_capital: not a valid decimal"]
        assert rejected.data["registered_capital"] == "abc"
        session.get_one(Source, source_id).bad_row_threshold = 0.1
    with pytest.raises(IngestFailed, match="1 of 4 rows do not conform"):
        ingest(world.platform, source_id=source_id, run_key="2")
    assert len(UnifiedStore(world.platform.settings).snapshots(code)) == 1


def test_file_drop_source_reads_chinese_headers(world: CatalogWorld) -> None:
    code = publish_enterprises(world)
    drop = drop_folder(world) / "enterprises"
    drop.mkdir()
    lines = ["统一社会信用代码,企业名称,法定代表人,注册资本"] + [",".join(row) for row in ROWS]
    (drop / "2026-11.csv").write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    source_id = register(world, code, "file", {"folder": "enterprises", "pattern": "*.csv"}, {})
    run = ingest(world.platform, source_id=source_id, run_key="1")
    assert run.rows_written == 3
    table = UnifiedStore(world.platform.settings).scan(code)
    assert table.column_names[:2] == ["uscc", "enterprise_name"]


def test_r9_a_source_larger_than_a_chunk_is_read_in_chunks_into_one_snapshot(
    world: CatalogWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory is bounded by a chunk, not by the source: files are read block by block, each chunk
    conformed on its own, and the run still commits all of it as one snapshot, with each bad row
    found at its own file and line; a run over the threshold leaves nothing behind."""
    monkeypatch.setattr(extract_module, "CHUNK_ROWS", 2)
    monkeypatch.setattr(extract_module, "CSV_BLOCK_BYTES", 128)  # a few rows per block
    chunk_sizes: list[int] = []
    original = staging_module.conform

    def counting(data: pa.Table, *args: Any, **kwargs: Any) -> Any:
        chunk_sizes.append(data.num_rows)
        return original(data, *args, **kwargs)

    monkeypatch.setattr(staging_module, "conform", counting)
    code = publish_enterprises(world)
    drop = drop_folder(world) / "register"
    drop.mkdir()
    header = "uscc,enterprise_name,legal_representative,registered_capital"
    many = [f"9144030000000{i:05d},深圳市企业{i}有限公司,张三,{i}.50" for i in range(9)]
    many[6] = "914403000000000006,坏数据公司,张三,abc"  # line 8 of a.csv
    (drop / "a.csv").write_text("\n".join([header, *many]) + "\n", encoding="utf-8")
    (drop / "b.csv").write_text(
        "\n".join([header, *(",".join(row) for row in ROWS)]) + "\n", encoding="utf-8"
    )
    source_id = register(world, code, "file", {"folder": "register"}, {}, bad_row_threshold=0.1)

    run = ingest(world.platform, source_id=source_id, run_key="1")

    assert (run.rows_read, run.rows_written, run.rows_rejected) == (12, 11, 1)
    assert len(chunk_sizes) >= 4  # the 12 rows in several chunks
    assert max(chunk_sizes) < 9  # never a whole file at once
    store = UnifiedStore(world.platform.settings)
    [snapshot] = store.snapshots(code)
    assert snapshot.properties["exchange.rows"] == "11"
    assert snapshot.properties["exchange.content-sha256"] == run.content_hash
    assert store.scan(code).num_rows == 11
    with world.platform.database.transaction() as session:
        [rejected] = session.scalars(select(RejectedRow)).all()
        assert (rejected.source_file, rejected.row_number) == ("a.csv", 8)
        session.get_one(Source, source_id).bad_row_threshold = 0.05
    with pytest.raises(IngestFailed, match="1 of 12 rows do not conform"):
        ingest(world.platform, source_id=source_id, run_key="2")
    assert len(UnifiedStore(world.platform.settings).snapshots(code)) == 1
    staging = world.platform.settings.data_dir / "staging"
    assert list(staging.iterdir()) == []  # no staged rows outlive their run


def test_http_api_source_pages_with_its_secret_header(world: CatalogWorld, tax_api: str) -> None:
    code = publish_enterprises(world)
    config = {"url": tax_api, "items_path": "data.items", "page_size": 2}
    with pytest.raises(InvalidInput, match="401"):
        register(world, code, "http", config, {"header_value": "Bearer wrong"})
    source_id = register(world, code, "http", config, {"header_value": "Bearer tax-api-secret"})
    run = ingest(world.platform, source_id=source_id, run_key="1")
    assert run.rows_written == 3  # two pages


def test_r10_certificates_carry_a_row_hash(world: CatalogWorld, source_db: Path) -> None:
    drop_updated_at(source_db)
    code = publish_enterprises(world, name="营业执照信息", classification_code="104")
    source_id = register(
        world, code, "database", {"table": "enterprises"}, {"url": f"sqlite:///{source_db.name}"}
    )
    ingest(world.platform, source_id=source_id, run_key="1")
    table = UnifiedStore(world.platform.settings).scan(code)
    hashes = table.column(ROW_HASH).to_pylist()
    assert len(set(hashes)) == 3
    assert all(len(h) == 64 for h in hashes)


def test_r11_freshness_never_on_time_late(
    world: CatalogWorld, source_db: Path, clock: FrozenClock
) -> None:
    drop_updated_at(source_db)
    code, source_id = db_source(world, source_db)
    with world.platform.database.transaction() as session:
        assert {f.code: f.status for f in freshness(session, now=clock.now())}[code] == "never"
    ingest(world.platform, source_id=source_id, run_key="1")
    clock.advance(timedelta(hours=47))  # daily cycle plus one day of grace
    with world.platform.database.transaction() as session:
        assert {f.code: f.status for f in freshness(session, now=clock.now())}[code] == "on_time"
    clock.advance(timedelta(hours=2))
    with world.platform.database.transaction() as session:
        [entry] = [f for f in freshness(session, now=clock.now()) if f.code == code]
    assert entry.status == "late"
    assert entry.due_by is not None


@pytest.mark.postgres
def test_r9_postgresql_source_is_read_as_arrow(world: CatalogWorld, postgres_url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    if world.platform.database.engine.dialect.name == "postgresql":
        pytest.skip("the platform's own database server is never a source (tests/security)")
    world.platform.settings.source_hosts.append(f"127.0.0.1:{make_url(postgres_url).port or 5432}")
    dsn = make_url(postgres_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("DROP SCHEMA IF EXISTS tax_system CASCADE")
        connection.execute("CREATE SCHEMA tax_system")
        connection.execute(
            "CREATE TABLE tax_system.taxpayers (uscc text, enterprise_name text, legal_representative text,"
            " registered_capital numeric(18, 2), updated_at date)"
        )
        for i, (uscc, name, rep, capital) in enumerate(ROWS):
            connection.execute(
                "INSERT INTO tax_system.taxpayers VALUES (%s, %s, %s, %s, %s)",
                (uscc, name, rep, capital, f"2026-11-0{i + 1}"),
            )
    code = publish_enterprises(world)
    source_id = register(
        world,
        code,
        "database",
        {"table": "tax_system.taxpayers"},
        {"url": postgres_url},
        mode="incremental",
        watermark_column="updated_at",
    )
    assert ingest(world.platform, source_id=source_id, run_key="1").rows_written == 3
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO tax_system.taxpayers VALUES ('91440300MA5D0009X9', '新', '钱七', 1, '2026-11-20')"
        )
    assert ingest(world.platform, source_id=source_id, run_key="2").rows_written == 1
    assert UnifiedStore(world.platform.settings).scan(code).num_rows == 4
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("DROP SCHEMA tax_system CASCADE")
