"""Violation decisions are final: each decision, and each correction naming the one it corrects,
is a row of its own.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import exchange.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "violation_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("violation_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("decided_at", exchange.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["violation_id"], ["violations.id"]),
        sa.ForeignKeyConstraint(["corrects_id"], ["violation_decisions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_violation_decisions_violation_id", "violation_decisions", ["violation_id"])
    # Decisions taken before this revision become the first decision of their violation.
    op.execute(
        "INSERT INTO violation_decisions (violation_id, decision, reason, decided_by, decided_at)"
        " SELECT id, decision, COALESCE(decision_reason, ''), COALESCE(decided_by, ''),"
        " decided_at FROM violations WHERE decision IS NOT NULL AND decided_at IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_violation_decisions_violation_id", table_name="violation_decisions")
    op.drop_table("violation_decisions")
