"""Sensitive items encrypted at rest (R21): a data file taken from the warehouse or a backup
cannot be read without the platform's keys, the platform reads it as grants allow, and rotating
the root key re-wraps the keys without rewriting any data file."""

import base64
import hashlib
import json
import os
import sqlite3
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from collection.ingest import ingest
from exchange.audit.models import AuditRecord
from exchange.backup import take_backup
from exchange.store import UnifiedStore
from exchange.store_encryption import (
    ENCRYPTED_COLUMNS,
    WRAPPED_KEY,
    forget_keys,
    metrics_property,
)
from exchange.warehouse_keys import KeyUnavailable
from exchange_cli import main
from tests.catalog_fixtures import CatalogWorld
from tests.collection_fixtures import full_load_source
from tests.scenarios.data import PURPOSE, approved_grant, publish_with_data, rows_url
from tests.scenarios.people import bearer


def _data_files(store: UnifiedStore, code: str) -> list[Path]:
    table = store.table(code)
    assert table is not None
    return [Path(task.file.file_path.removeprefix("file://")) for task in table.scan().plan_files()]


def _digests(files: list[Path]) -> dict[Path, str]:
    return {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in files}


def test_r21_a_sensitive_items_file_is_unreadable_without_the_platforms_key(
    world: CatalogWorld,
) -> None:
    code = publish_with_data(world)
    store = UnifiedStore(world.platform.settings)
    files = _data_files(store, code)
    assert files
    for path in files:
        with pytest.raises(OSError, match="encrypted"):
            pq.read_table(path)
        with pytest.raises(OSError, match="encrypted"):
            pq.read_schema(path)
        assert b"440300199001010007" not in path.read_bytes()
    # The platform reads it; the manifests keep no minimum or maximum of a sensitive column.
    read = store.scan(code, columns=("uscc", "id_number"))
    assert sorted(read.column("id_number").to_pylist())[7] == "440300199001010007"
    table = store.table(code)
    assert table is not None
    assert table.properties[ENCRYPTED_COLUMNS] == "id_number,legal_representative"
    assert table.properties[metrics_property("id_number")] == "none"
    id_number = table.schema().find_field("id_number").field_id
    for task in table.scan().plan_files():
        assert id_number not in (task.file.lower_bounds or {})
        assert id_number not in (task.file.upper_bounds or {})


def test_r21_the_platform_serves_encrypted_items_as_grants_allow(
    world: CatalogWorld, client: TestClient
) -> None:
    code = publish_with_data(world)
    consumer = bearer(world, "consumer")
    refused = client.get(
        rows_url(code), params={**PURPOSE, "columns": "uscc,legal_representative"},
        headers=consumer,
    )  # fmt: skip
    assert refused.status_code == 403
    assert refused.json()["detail"]["not_granted"] == ["legal_representative"]

    approved_grant(world, code)
    granted = client.get(
        rows_url(code), params={**PURPOSE, "columns": "uscc,legal_representative"},
        headers=consumer,
    )  # fmt: skip
    assert granted.status_code == 200, granted.text
    assert [row["legal_representative"] for row in granted.json()["rows"][:2]] == ["张0", "张1"]
    not_shared = client.get(
        rows_url(code), params={**PURPOSE, "columns": "id_number"}, headers=consumer
    )
    assert not_shared.status_code == 403


def test_r21_an_ingest_encrypts_the_items_its_catalog_entry_marks_sensitive(
    world: CatalogWorld, source_db: Path
) -> None:
    code, source_id = full_load_source(world, source_db)
    ingest(world.platform, source_id=source_id, run_key="r1")
    store = UnifiedStore(world.platform.settings)
    table = store.table(code)
    assert table is not None
    assert table.properties[ENCRYPTED_COLUMNS] == "legal_representative"
    with pytest.raises(OSError, match="encrypted"):
        pq.read_table(_data_files(store, code)[0])
    with sqlite3.connect(source_db) as connection:
        expected = sorted(
            r[0] for r in connection.execute("SELECT legal_representative FROM enterprises")
        )
    assert sorted(store.scan(code).column("legal_representative").to_pylist()) == expected


def test_r21_key_rotation_rewraps_the_keys_and_rewrites_no_data(world: CatalogWorld) -> None:
    settings = world.platform.settings
    code = publish_with_data(world)
    store = UnifiedStore(settings)
    files = _data_files(store, code)
    before = _digests(files)
    table = store.table(code)
    assert table is not None
    wrapped_before = table.properties[WRAPPED_KEY]
    assert wrapped_before.startswith("1:")

    settings_env = {
        "EXCHANGE_DATABASE_URL": settings.resolved_database_url,
        "EXCHANGE_DATA_DIR": str(settings.data_dir),
        "EXCHANGE_WAREHOUSE_PATH": str(settings.resolved_warehouse_path),
    }
    rotated = CliRunner().invoke(main, ["keys", "rotate"], env=settings_env)
    assert rotated.exit_code == 0, rotated.output
    assert "root key 2 now wraps the keys of 1 resources" in rotated.output
    with world.platform.database.transaction() as session:
        record = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "platform.rotate_keys")
        ).one()
        assert json.loads(record.detail) == {"root_key": 2, "resources": 1}

    table = store.table(code)
    assert table is not None
    assert table.properties[WRAPPED_KEY].startswith("2:")
    assert _digests(files) == before  # not one data file rewritten
    # With the first root key gone from the key file, a new process still reads everything.
    key_file = settings.resolved_warehouse_key_file
    content = json.loads(key_file.read_text("utf-8"))
    del content["keys"]["1"]
    key_file.write_text(json.dumps(content), "utf-8")
    forget_keys()
    assert UnifiedStore(settings).scan(code).num_rows == 30

    # Whereas a key file that is not the platform's opens nothing.
    content["keys"]["2"] = base64.b64encode(os.urandom(32)).decode("ascii")
    key_file.write_text(json.dumps(content), "utf-8")
    forget_keys()
    with pytest.raises(KeyUnavailable):
        UnifiedStore(settings).scan(code)


def test_r21_backups_stay_encrypted_and_hold_no_key(world: CatalogWorld, tmp_path: Path) -> None:
    settings = world.platform.settings
    publish_with_data(world)
    backup = tmp_path / "backup"
    take_backup(settings, backup, now=world.platform.clock.now())
    copies = list((backup / "warehouse").rglob("*.parquet"))
    assert copies
    for path in copies:
        with pytest.raises(OSError, match="encrypted"):
            pq.read_table(path)
    key_file = settings.resolved_warehouse_key_file.read_bytes()
    assert not any(path.is_file() and path.read_bytes() == key_file for path in backup.rglob("*"))
