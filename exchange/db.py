"""Database access: the declarative base, engines, and the unit of work.

Services take a session and never commit; whoever calls them (an API request, a CLI command, a
DAG task) owns the transaction through :meth:`Database.transaction`.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    ColumnElement,
    DateTime,
    Engine,
    MetaData,
    Table,
    create_engine,
    event,
    func,
)
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from exchange.i18n import Message
from exchange.policy_changes import ChangeBus

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware instants as UTC and always returns them aware, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware instant")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class StoredMessage(TypeDecorator[Message]):
    """A message kept to be shown later (a notification, a deadline's title), stored as its
    template and values so that each reader gets it in their own language."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Message | None, dialect: Dialect) -> Any:
        return None if value is None else value.as_json()

    def process_result_value(self, value: Any, dialect: Dialect) -> Message | None:
        return None if value is None else Message.from_json(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012 (SQLAlchemy reads it)


def table_of(model: type[Base]) -> Table:
    """The Core table of a mapped class, for set-based statements."""
    return cast(Table, model.__table__)


def local_date(column: Any, zone: ZoneInfo, dialect: str) -> ColumnElement[Any]:
    """The city's calendar day of a stored instant, computed by the database so that figures per
    day are grouped there. SQLite knows no time zones: it shifts by the zone's offset now, exact
    for a city without daylight saving time (China's)."""
    if dialect == "postgresql":
        return func.date(func.timezone(zone.key, column))
    offset = datetime.now(zone).utcoffset()
    minutes = 0 if offset is None else int(offset.total_seconds() // 60)
    return func.date(column, f"{minutes:+d} minutes")


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str, pool_size: int | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url``; ``pool_size`` connections are kept open, as many again opened at
    peaks (an in-memory SQLite database has one connection and ignores it)."""
    parsed = make_url(url)
    in_memory = parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")
    if pool_size is not None and not in_memory:
        kwargs.update(pool_size=pool_size, max_overflow=pool_size)
    if parsed.get_backend_name() == "sqlite":
        if not in_memory:
            Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # Plain postgresql:// means psycopg 3 here, the driver the project installs.
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, **kwargs)


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        # Sessions carry the bus so that a service announcing a policy change needs no extra
        # argument; see exchange.policy_changes.
        self.change_bus = ChangeBus()
        self.sessions = sessionmaker(
            self.engine, expire_on_commit=False, info={"change_bus": self.change_bus}
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits when the block ends, rolls back if it raises."""
        with self.sessions() as session, session.begin():
            yield session

    def follow_other_processes(self) -> None:
        """Publish on :attr:`change_bus` the changes other processes commit. SQLite is the
        one-process setup, where local publishing is all there is."""
        if self.dialect == "postgresql":
            self.change_bus.follow(self.url)

    def dispose(self) -> None:
        self.change_bus.stop_following()
        self.engine.dispose()
