"""Keeping the warehouse tidy: old snapshots expired, files no snapshot needs removed.

Iceberg's two maintenance operations, on one table at a time: expiring snapshots older than a
cutoff (never the current one, nor any the caller says something still points to), and removing
orphan files: data files in the table's folder that no remaining snapshot references and that are
older than any run could take, such as those a run killed mid-write left behind. Removing them
changes no snapshot: readers see exactly what they saw.
"""

from datetime import datetime

from pyarrow.fs import FileSelector, FileType

from exchange.store import UnifiedStore


def expire_snapshots(
    store: UnifiedStore, resource_code: str, *, before: datetime, keep: set[int]
) -> list[int]:
    """Expire the snapshots taken before ``before``, except the current one and ``keep``."""
    table = store.table(resource_code)
    if table is None:
        return []
    current = table.current_snapshot()
    cutoff = before.timestamp() * 1000
    expired = [
        snapshot.snapshot_id
        for snapshot in table.snapshots()
        if snapshot.timestamp_ms < cutoff
        and snapshot.snapshot_id not in keep
        and (current is None or snapshot.snapshot_id != current.snapshot_id)
    ]
    if expired:
        table.maintenance.expire_snapshots().by_ids(expired).commit()
    return expired


def remove_orphan_files(store: UnifiedStore, resource_code: str, *, before: datetime) -> list[str]:
    """Delete the table's data files that no snapshot references and that were last written
    before ``before``; their paths."""
    table = store.table(resource_code)
    if table is None:
        return []
    referenced = {_path(uri) for uri in table.inspect.all_files().column("file_path").to_pylist()}
    file_system, _root = store.warehouse_file_system()
    folder = _path(table.location()) + "/data"
    removed = []
    for info in file_system.get_file_info(
        FileSelector(folder, recursive=True, allow_not_found=True)
    ):
        if info.type != FileType.File or info.path in referenced:
            continue
        if info.mtime is not None and info.mtime < before:
            file_system.delete_file(info.path)
            removed.append(info.path)
    return sorted(removed)


def _path(uri: str) -> str:
    """A location without its scheme, as the warehouse's file system names it."""
    scheme, separator, rest = uri.partition("://")
    return rest if separator else scheme
