"""Deadlines counted in working days, hours, calendar days or months (R34): the length keeps its
value under a unit-neutral name, beside its unit; existing deadlines are in working days.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 16:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.alter_column("working_days", new_column_name="length")
        batch_op.alter_column("remaining_working_days", new_column_name="remaining")
        batch_op.add_column(
            sa.Column("unit", sa.String(length=4), server_default="wd", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.drop_column("unit")
        batch_op.alter_column("remaining", new_column_name="remaining_working_days")
        batch_op.alter_column("length", new_column_name="working_days")
