"""Backups of the platform database and the warehouse, restorable as one consistent state.

The database is copied first, as of one instant (``pg_dump``'s snapshot, SQLite's online backup);
the warehouse after. That order is what makes a backup taken while ingestion runs consistent:
Iceberg writes a snapshot's data and metadata files before the catalog row in the database points
at them, and never rewrites a file, so every file the copied database refers to already exists
when the warehouse is copied. Files of commits that came later are copied too and stay unreferenced.

A backup is a folder: ``manifest.json`` (what, when, from which schema revision, every file's
SHA-256), the database (``database.dump`` or ``database.sqlite``) and ``warehouse/``. It is written
under a ``.partial`` name and renamed when complete, so a folder with the final name is whole.
"""

import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from exchange.audit.checkpoint import write_checkpoint
from exchange.backup import database, warehouse
from exchange.backup.consistency import RestoreCheck, SnapshotLedger, check_restored
from exchange.db import Database
from exchange.errors import Conflict, InvalidInput
from exchange.settings import Settings

MANIFEST = "manifest.json"
FORMAT = 1

__all__ = ["BackupSummary", "RestoreCheck", "read_manifest", "restore_backup", "take_backup"]


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    dialect: str
    revision: str | None
    files: int
    bytes: int


def _checkpoint(settings: Settings, now: datetime) -> None:
    platform_database = Database(settings.resolved_database_url)
    try:
        with platform_database.engine.connect() as connection:
            write_checkpoint(connection, settings, now=now)
    finally:
        platform_database.dispose()


def take_backup(settings: Settings, destination: Path, *, now: datetime) -> BackupSummary:
    """Copy the database, then the warehouse, into the new folder ``destination``."""
    if destination.exists():
        raise Conflict(
            "{destination} already exists: a backup never overwrites another",
            destination=destination,
        )
    partial = destination.with_name(destination.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        # The heads as of now go with the warehouse copy; the database copy, taken after, reaches
        # at least as far, so a restored platform verifies against its own checkpoint.
        _checkpoint(settings, now)
        dump = database.dump(settings.resolved_database_url, partial)
        warehouse.copy_out(settings, partial / "warehouse")
        files = _checksums(partial)
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "platform_version": version("exchange-platform"),
            "database": {"dialect": dump.dialect, "file": dump.file, "revision": dump.revision},
            "warehouse_uri": settings.resolved_warehouse_uri,
            "files": files,
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        partial.rename(destination)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return BackupSummary(
        destination,
        dump.dialect,
        dump.revision,
        len(files),
        sum(entry["bytes"] for entry in files.values()),
    )


def restore_backup(
    settings: Settings,
    source: Path,
    *,
    ledgers: Sequence[SnapshotLedger],
    replace: bool = False,
) -> RestoreCheck:
    """Put a backup back: refused before anything is written if the backup is damaged, was taken
    of another warehouse location, or the targets are not empty (unless ``replace``). The
    ``ledgers`` say which snapshots the restored records expect (see ``consistency``)."""
    manifest = read_manifest(source)
    _verify_files(source, manifest["files"])
    if manifest["warehouse_uri"] != settings.resolved_warehouse_uri:
        raise InvalidInput(
            "the backup's warehouse was at another location; Iceberg metadata names its files "
            "by absolute location, so restore to the same one",
            detail=[
                f"backup: {manifest['warehouse_uri']}",
                f"here: {settings.resolved_warehouse_uri}",
            ],
        )
    url = settings.resolved_database_url
    dialect = manifest["database"]["dialect"]
    if database.dialect_of(url) != dialect:
        raise InvalidInput(
            "the backup is of a {dialect} database; this platform uses {dialect_of}",
            dialect=dialect,
            dialect_of=database.dialect_of(url),
        )
    if not replace:
        if not database.is_empty(url):
            raise Conflict(
                "the target database is not empty; restore with --replace to overwrite it"
            )
        if not warehouse.is_empty(settings):
            raise Conflict(
                "the target warehouse is not empty; restore with --replace to overwrite it"
            )
    # The warehouse first: the database must never point at files that are not there yet.
    warehouse.copy_in(settings, source / "warehouse", replace=replace)
    database.load(url, source / manifest["database"]["file"], replace=replace)
    check = check_restored(settings, ledgers)
    check.taken_at = manifest["created_at"]
    return check


def read_manifest(source: Path) -> dict[str, Any]:
    path = source / MANIFEST
    if not path.is_file():
        raise InvalidInput(
            "{source} is not a complete backup: it has no {manifest}",
            source=source,
            manifest=MANIFEST,
        )
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise InvalidInput(
            "backup format {backup_format} is not one this version reads",
            backup_format=manifest.get("format"),
        )
    return manifest


def _checksums(root: Path) -> dict[str, dict[str, Any]]:
    files: dict[str, dict[str, Any]] = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            files[path.relative_to(root).as_posix()] = {
                "bytes": path.stat().st_size,
                "sha256": _sha256(path),
            }
    return files


def _verify_files(root: Path, expected: dict[str, dict[str, Any]]) -> None:
    damaged = [
        relative
        for relative, entry in expected.items()
        if not (root / relative).is_file() or _sha256(root / relative) != entry["sha256"]
    ]
    if damaged:
        raise InvalidInput(
            "the backup is damaged: {damaged_count} files are missing or changed; nothing was restored",
            detail=damaged[:20],
            damaged_count=len(damaged),
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
