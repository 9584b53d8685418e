"""Fixtures: every database test runs on SQLite and, when EXCHANGE_TEST_POSTGRES_URL is set,
on PostgreSQL. The schema is always made by the Alembic migrations."""

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from exchange.audit.models import AUDIT_CHAINS, GENESIS_HASH
from exchange.clock import FrozenClock
from exchange.db import Database
from exchange.runtime import Platform
from exchange.settings import Settings
from migrations import upgrade
from migrations.models import Base

# Tests that start real services, browsers or subprocess servers, build the wheel, fuzz the API or
# generate the demo: `make test` runs them, `make test-fast` (SQLite only) leaves them out.
SLOW_PATHS = (
    "tests/dags/test_real_airflow.py",
    "tests/deployment/",
    "tests/e2e/",
    "tests/security/test_api_fuzz.py",
)
SLOW_TESTS = frozenset({
    "test_demo_is_repeatable_and_prints_how_to_log_in",
    "test_demo_says_which_port_another_program_holds",
    "test_demo_catalog_is_realistic",
})  # fmt: skip


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(str(config.rootpath))
    for item in items:
        path = Path(str(item.path)).relative_to(root).as_posix()
        name = getattr(item, "originalname", item.name)
        if path.startswith(SLOW_PATHS) or name in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)


pytest_plugins = ("tests.catalog_fixtures", "tests.collection_fixtures")

POSTGRES_URL = os.environ.get("EXCHANGE_TEST_POSTGRES_URL")
SHANGHAI = ZoneInfo("Asia/Shanghai")
NO_POSTGRES = (
    "PostgreSQL not available: set EXCHANGE_TEST_POSTGRES_URL (make test does when it answers)"
)


def local(*args: int) -> datetime:
    """An instant given in the city's local time."""
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def _admin_dsn(url: str, database: str) -> str:
    parsed = make_url(url).set(drivername="postgresql", database=database)
    return parsed.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "exchange.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of its own for this test session, migrated once, dropped at the end."""
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    name = f"exchange_test_{uuid.uuid4().hex[:10]}"
    maintenance = _admin_dsn(POSTGRES_URL, "postgres")
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty_postgres(database: Database) -> None:
    names = [t.name for t in Base.metadata.sorted_tables] + [
        "iceberg_tables",
        "iceberg_namespace_properties",
    ]
    tables = ", ".join(f'"{name}"' for name in names)
    with database.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        # Tamper tests disable the append-only trigger; every test starts with it on.
        connection.execute(text("ALTER TABLE audit_records ENABLE TRIGGER audit_records_no_update"))
        connection.execute(
            text(
                "INSERT INTO audit_chain_heads (id, last_pos, last_hash, anchor_pos, anchor_hash) "
                "VALUES (:chain, 0, :g, 0, :g)"
            ),
            [{"chain": chain, "g": GENESIS_HASH} for chain in range(1, AUDIT_CHAINS + 1)],
        )
        connection.execute(text("ALTER SEQUENCE audit_seq RESTART"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Database]:
    if request.param == "sqlite":
        path = tmp_path / "exchange.db"
        shutil.copy(sqlite_template, path)
        db = Database(f"sqlite:///{path}")
    else:
        db = Database(request.getfixturevalue("postgres_url"))
        _empty_postgres(db)
    yield db
    db.dispose()


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[Database]:
    """An emptied PostgreSQL database, for tests that only make sense there."""
    db = Database(postgres_url)
    _empty_postgres(db)
    yield db
    db.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(local(2026, 11, 24, 10, 0))


@pytest.fixture
def settings(tmp_path: Path, database: Database) -> Settings:
    return Settings(data_dir=tmp_path, database_url=database.url)


@pytest.fixture
def platform(settings: Settings, database: Database, clock: FrozenClock) -> Platform:
    return Platform(settings, database, clock)


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    """The API and portal in-process, started and stopped like a server."""
    from exchange_api.app import create_app

    with TestClient(create_app(platform)) as test_client:
        yield test_client
