"""The warehouse part of a backup: the Iceberg files, copied between the warehouse (a folder or
S3-compatible storage) and the backup folder."""

from pathlib import Path

from pyarrow import fs

from exchange.settings import Settings
from exchange.store import UnifiedStore


def copy_out(settings: Settings, folder: Path) -> None:
    filesystem, root = UnifiedStore(settings).warehouse_file_system()
    folder.mkdir(parents=True, exist_ok=True)
    if filesystem.get_file_info(root).type == fs.FileType.Directory:
        fs.copy_files(root, str(folder.resolve()), filesystem, fs.LocalFileSystem())


def copy_in(settings: Settings, folder: Path, *, replace: bool) -> None:
    filesystem, root = UnifiedStore(settings).warehouse_file_system()
    if replace and filesystem.get_file_info(root).type == fs.FileType.Directory:
        filesystem.delete_dir_contents(root)
    filesystem.create_dir(root, recursive=True)
    if any(folder.iterdir()):
        fs.copy_files(str(folder.resolve()), root, fs.LocalFileSystem(), filesystem)


def is_empty(settings: Settings) -> bool:
    filesystem, root = UnifiedStore(settings).warehouse_file_system()
    if filesystem.get_file_info(root).type != fs.FileType.Directory:
        return True
    return not filesystem.get_file_info(fs.FileSelector(root, recursive=True))
