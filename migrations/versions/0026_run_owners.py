"""Who runs each ingest run and when it last showed life (R9): a run whose process died is found
and marked abandoned instead of staying "running" for ever.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-01 05:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import exchange.db

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.add_column("collection_runs", sa.Column("owner", sa.String(length=200), nullable=True))
    op.add_column(
        "collection_runs",
        sa.Column("heartbeat_at", exchange.db.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:

    op.drop_column("collection_runs", "heartbeat_at")
    op.drop_column("collection_runs", "owner")
