"""Tasks handed from one person to the next (work lists, 待办/已办).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-01 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import exchange.db

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("subject_type", sa.String(length=60), nullable=False),
        sa.Column("subject_id", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_message", sa.JSON(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("assignee_department_id", sa.Integer(), nullable=True),
        sa.Column("assignee_role", sa.String(length=40), nullable=True),
        sa.Column("assignee_user_id", sa.Integer(), nullable=True),
        sa.Column("ends_when_read", sa.Boolean(), nullable=False),
        sa.Column("created_at", exchange.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", exchange.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_department_id"], ["departments.id"],
            name=op.f("fk_tasks_assignee_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["assignee_user_id"], ["users.id"], name=op.f("fk_tasks_assignee_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["done_by_user_id"], ["users.id"], name=op.f("fk_tasks_done_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )  # fmt: skip
    op.create_index("ix_tasks_subject", "tasks", ["subject_type", "subject_id"])
    op.create_index(
        "ix_tasks_assignee", "tasks", ["assignee_department_id", "assignee_role", "done_at"]
    )
    op.create_index(op.f("ix_tasks_assignee_user_id"), "tasks", ["assignee_user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_tasks_assignee_user_id"), table_name="tasks")
    op.drop_index("ix_tasks_assignee", table_name="tasks")
    op.drop_index("ix_tasks_subject", table_name="tasks")
    op.drop_table("tasks")
