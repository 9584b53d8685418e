"""The database part of a backup: PostgreSQL through its own tools, SQLite through its online
backup. Both copy the database as of one instant while the platform keeps running."""

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url

from exchange.errors import InvalidInput

PG_DUMP_FILE = "database.dump"
SQLITE_FILE = "database.sqlite"


@dataclass(frozen=True)
class Dump:
    dialect: str
    file: str
    revision: str | None


def dialect_of(url: str) -> str:
    return make_url(url).get_backend_name()


def dump(url: str, folder: Path) -> Dump:
    revision = _revision(url)
    if dialect_of(url) == "sqlite":
        with (
            closing(_sqlite(url)) as source,
            closing(sqlite3.connect(folder / SQLITE_FILE)) as target,
        ):
            source.backup(target)  # all pages in one step: one consistent instant
        return Dump("sqlite", SQLITE_FILE, revision)
    _run_pg_tool(
        "pg_dump",
        url,
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        f"--file={folder / PG_DUMP_FILE}",
    )
    return Dump("postgresql", PG_DUMP_FILE, revision)


def load(url: str, file: Path, *, replace: bool) -> None:
    if dialect_of(url) == "sqlite":
        target = Path(make_url(url).database or "")
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(target.name + ".restoring")
        shutil.copyfile(file, staged)
        for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm")):
            leftover.unlink(missing_ok=True)
        os.replace(staged, target)  # whole or not at all
        return
    options = ["--clean", "--if-exists"] if replace else []
    # One transaction: a failed restore leaves the database as it was.
    _run_pg_tool(
        "pg_restore", url, "--single-transaction", "--exit-on-error", "--no-owner",
        "--no-privileges", *options, str(file),
    )  # fmt: skip


def is_empty(url: str) -> bool:
    if dialect_of(url) == "sqlite" and not Path(make_url(url).database or "").is_file():
        return True  # asking must not create the file
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return not inspect(connection).get_table_names()
    finally:
        engine.dispose()


def _revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if "alembic_version" not in inspect(connection).get_table_names():
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def _sqlite(url: str) -> sqlite3.Connection:
    path = make_url(url).database
    if not path or not Path(path).is_file():
        raise InvalidInput("no SQLite database at {path}", path=path)
    return sqlite3.connect(path)


def _run_pg_tool(tool: str, url: str, *arguments: str) -> None:
    """Run a PostgreSQL client tool against ``url``; the password goes by environment, not argv."""
    executable = shutil.which(tool)
    if executable is None:
        raise InvalidInput(
            "{tool} is not installed: install the PostgreSQL client tools of the server's major version (Debian: postgresql-client)",
            tool=tool,
        )
    parsed: URL = make_url(url)
    environment = {**os.environ}
    if parsed.password:
        environment["PGPASSWORD"] = str(parsed.password)
    dsn = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    done = subprocess.run(  # noqa: S603 (a fixed tool, our own arguments)
        [executable, f"--dbname={dsn}", *arguments],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise InvalidInput("{tool} failed: {stderr}", tool=tool, stderr=done.stderr.strip()[-2000:])
