"""Role terms: who held which role from when to when. The register of data resource
administrators becomes the terms of that role, so registering the role and the register cannot
disagree; the old register's rows become terms, and every role held today gets its open term.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import exchange.db

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "role_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("started_at", exchange.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", exchange.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_role_terms_user_id", "role_terms", ["user_id"])
    op.create_index(
        "ix_role_terms_role_department", "role_terms", ["role", "department_id", "ended_at"]
    )
    op.execute(
        "INSERT INTO role_terms (user_id, department_id, role, started_at, ended_at, recorded_by)"
        " SELECT user_id, department_id, 'data_resource_admin', started_at, ended_at, recorded_by"
        " FROM catalog_resource_administrators"
    )
    # A role held today without an open term (granted before terms were kept) starts with its
    # holder's account.
    op.execute(
        "INSERT INTO role_terms (user_id, department_id, role, started_at, recorded_by)"
        " SELECT users.id, users.department_id, user_roles.role, users.created_at, 'migration'"
        " FROM user_roles JOIN users ON users.id = user_roles.user_id"
        " WHERE NOT EXISTS (SELECT 1 FROM role_terms WHERE role_terms.user_id = users.id"
        " AND role_terms.role = user_roles.role AND role_terms.ended_at IS NULL)"
    )
    op.drop_index(
        "ix_catalog_resource_administrators_current", table_name="catalog_resource_administrators"
    )
    op.drop_table("catalog_resource_administrators")


def downgrade() -> None:
    op.create_table(
        "catalog_resource_administrators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("started_at", exchange.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", exchange.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_catalog_resource_administrators_current",
        "catalog_resource_administrators",
        ["department_id", "ended_at"],
    )
    op.execute(
        "INSERT INTO catalog_resource_administrators"
        " (department_id, user_id, started_at, ended_at, recorded_by)"
        " SELECT department_id, user_id, started_at, ended_at, recorded_by FROM role_terms"
        " WHERE role = 'data_resource_admin'"
    )
    op.drop_index("ix_role_terms_role_department", table_name="role_terms")
    op.drop_index("ix_role_terms_user_id", table_name="role_terms")
    op.drop_table("role_terms")
