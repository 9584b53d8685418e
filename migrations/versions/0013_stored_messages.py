"""Stored messages keep their template and values, so each reader gets them in their language:
notifications, deadline and issue titles, detected drift, run errors, violation summaries.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 09:09:14.550754
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("catalog_update_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description_message", sa.JSON(), nullable=True))

    with op.batch_alter_table("collection_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("error_message", sa.JSON(), nullable=True))

    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title_message", sa.JSON(), nullable=True))

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title_message", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("body_message", sa.JSON(), nullable=True))

    with op.batch_alter_table("quality_issues", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title_message", sa.JSON(), nullable=True))

    with op.batch_alter_table("violations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary_message", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("violations", schema=None) as batch_op:
        batch_op.drop_column("summary_message")

    with op.batch_alter_table("quality_issues", schema=None) as batch_op:
        batch_op.drop_column("title_message")

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("body_message")
        batch_op.drop_column("title_message")

    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.drop_column("title_message")

    with op.batch_alter_table("collection_runs", schema=None) as batch_op:
        batch_op.drop_column("error_message")

    with op.batch_alter_table("catalog_update_tasks", schema=None) as batch_op:
        batch_op.drop_column("description_message")
