"""Password lifecycle (R21): when each password was set, whether its holder must change it (one an
administrator chose), and the hashes of the last few, which a new password may not repeat.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01 05:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import exchange.db

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.add_column(
        "users",
        sa.Column("password_changed_at", exchange.db.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "users",
        sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "users",
        sa.Column("previous_password_hashes", sa.JSON(), nullable=False, server_default="[]"),
    )
    # Existing passwords count from now: none expires the moment the platform is upgraded.
    op.execute(
        sa.text("UPDATE users SET password_changed_at = :now WHERE password_hash IS NOT NULL")
        .bindparams(sa.bindparam("now", type_=exchange.db.UTCDateTime(timezone=True)))
        .params(now=datetime.now(UTC))
    )


def downgrade() -> None:

    op.drop_column("users", "previous_password_hashes")
    op.drop_column("users", "must_change_password")
    op.drop_column("users", "password_changed_at")
