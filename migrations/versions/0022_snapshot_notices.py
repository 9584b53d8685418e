"""A notice on every Iceberg commit (PostgreSQL): the API processes keep which snapshot each
resource serves and forget it when told, instead of asking on every read. Whoever commits
(an Airflow worker, another replica, an engine outside the platform) the catalog row changes,
so the notice comes from a trigger on it, on the channel the policy changes use.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 19:05:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# exchange.policy_changes: CHANNEL, and the "data" topic (key 0: any resource).
FUNCTION = """
CREATE OR REPLACE FUNCTION exchange_snapshot_committed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('exchange_policy', 'data:0');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""
TRIGGER = """
CREATE TRIGGER iceberg_tables_committed
AFTER INSERT OR UPDATE OR DELETE ON iceberg_tables
FOR EACH STATEMENT EXECUTE FUNCTION exchange_snapshot_committed()
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite: the snapshot cache asks on every read (no other process to hear from)
    op.execute(FUNCTION)
    op.execute(TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS iceberg_tables_committed ON iceberg_tables")
    op.execute("DROP FUNCTION IF EXISTS exchange_snapshot_committed()")
