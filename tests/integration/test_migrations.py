"""The migrations are the only source of the schema: they must match the models exactly."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from exchange.db import Database
from migrations import downgrade, include_object, upgrade
from migrations.models import Base


def test_migrated_schema_matches_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_migrations_run_down_and_up_again(database: Database) -> None:
    downgrade(database.url, "base")
    upgrade(database.url)
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() is not None
