"""Background work tracked (R9, R16, R19): what runs outside a request, in which process, and
when it last showed life, so that work dying with its process is found and finished.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-01 05:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import exchange.db

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "background_work",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("started_at", exchange.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", exchange.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", exchange.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_background_work")),
    )
    op.create_index(op.f("ix_background_work_state"), "background_work", ["state"])


def downgrade() -> None:
    op.drop_index(op.f("ix_background_work_state"), table_name="background_work")
    op.drop_table("background_work")
