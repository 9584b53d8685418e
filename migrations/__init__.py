"""The Alembic migrations of the whole platform, the only way the schema is made."""

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def current_revision(database_url: str) -> str | None:
    """The schema's revision, or None for a database the platform has not made yet."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


# Made by hand in the migrations, no model of ours describes them: the full-text search
# structures, and the tables of pyiceberg's SQL catalog (the store's catalog lives in our database).
_HAND_MADE_PREFIXES = (
    "catalog_search_fts",
    "catalog_search_changes",
    "ix_catalog_search_tokens",
    "iceberg_",
)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """For autogenerate and schema comparison: leave the hand-made search structures alone."""
    return not (name and name.startswith(_HAND_MADE_PREFIXES))
