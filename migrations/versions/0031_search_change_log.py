"""On SQLite, a log of the search entries each transaction rewrote, read by every process's
in-memory search index to stay current (see catalog/search_index.py) (R12). PostgreSQL tells
the processes by NOTIFY instead.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-04 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        # AUTOINCREMENT: a number is never given twice, even after the last row is deleted.
        op.execute(
            "CREATE TABLE catalog_search_changes ("
            "seq INTEGER PRIMARY KEY AUTOINCREMENT, resource_id INTEGER NOT NULL)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE IF EXISTS catalog_search_changes")
