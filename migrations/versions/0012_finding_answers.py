"""Findings answered one by one, set-aside rows as findings with their source file (R19).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 08:44:47.496815
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import exchange.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quality_finding_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=24), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answered_at", exchange.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["answered_by"], ["users.id"], name=op.f("fk_quality_finding_answers_answered_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["quality_issues.id"],
            name=op.f("fk_quality_finding_answers_issue_id_quality_issues"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_finding_answers")),
        sa.UniqueConstraint("issue_id", "ref", name=op.f("uq_quality_finding_answers_issue_id")),
    )
    with op.batch_alter_table("quality_finding_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quality_finding_answers_issue_id"), ["issue_id"], unique=False
        )

    with op.batch_alter_table("collection_rejected_rows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_file", sa.String(length=255), nullable=True))

    with op.batch_alter_table("quality_issues", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ingest_run_id", sa.Integer(), nullable=True))
        batch_op.alter_column("snapshot_id", existing_type=sa.BIGINT(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("quality_issues", schema=None) as batch_op:
        batch_op.alter_column("snapshot_id", existing_type=sa.BIGINT(), nullable=False)
        batch_op.drop_column("ingest_run_id")

    with op.batch_alter_table("collection_rejected_rows", schema=None) as batch_op:
        batch_op.drop_column("source_file")

    with op.batch_alter_table("quality_finding_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quality_finding_answers_issue_id"))

    op.drop_table("quality_finding_answers")
