"""The warehouse part of a backup: the Iceberg files, copied between the warehouse (a folder or
S3-compatible storage) and the backup folder."""

from pathlib import Path
from urllib.parse import urlsplit

from pyarrow import fs

from exchange.settings import Settings


def location(settings: Settings) -> tuple[fs.FileSystem, str]:
    """The warehouse's file system and its root path there."""
    uri = settings.resolved_warehouse_uri
    parts = urlsplit(uri)
    if parts.scheme == "s3":
        endpoint = urlsplit(settings.s3_endpoint) if settings.s3_endpoint else None
        s3 = fs.S3FileSystem(
            access_key=settings.s3_access_key_id,
            secret_key=settings.s3_secret_access_key,
            region=settings.s3_region,
            endpoint_override=endpoint.netloc if endpoint else None,
            scheme=endpoint.scheme if endpoint else "https",
        )
        return s3, f"{parts.netloc}{parts.path}".rstrip("/")
    return fs.LocalFileSystem(), str(settings.resolved_warehouse_path.resolve())


def copy_out(settings: Settings, folder: Path) -> None:
    filesystem, root = location(settings)
    folder.mkdir(parents=True, exist_ok=True)
    if filesystem.get_file_info(root).type == fs.FileType.Directory:
        fs.copy_files(root, str(folder.resolve()), filesystem, fs.LocalFileSystem())


def copy_in(settings: Settings, folder: Path, *, replace: bool) -> None:
    filesystem, root = location(settings)
    if replace and filesystem.get_file_info(root).type == fs.FileType.Directory:
        filesystem.delete_dir_contents(root)
    filesystem.create_dir(root, recursive=True)
    if any(folder.iterdir()):
        fs.copy_files(str(folder.resolve()), root, fs.LocalFileSystem(), filesystem)


def is_empty(settings: Settings) -> bool:
    filesystem, root = location(settings)
    if filesystem.get_file_info(root).type != fs.FileType.Directory:
        return True
    return not filesystem.get_file_info(fs.FileSelector(root, recursive=True))
