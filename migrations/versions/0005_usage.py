"""Data usage (R16, R17) and the use reports consumers send back.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 11:03:32.891678
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "data_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("provider_department_id", sa.Integer(), nullable=False),
        sa.Column("consumer_department_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["consumer_department_id"],
            ["departments.id"],
            name=op.f("fk_data_usage_consumer_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["access_grants.id"], name=op.f("fk_data_usage_grant_id_access_grants")
        ),
        sa.ForeignKeyConstraint(
            ["provider_department_id"],
            ["departments.id"],
            name=op.f("fk_data_usage_provider_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_data_usage_resource_id_catalog_resources"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_data_usage_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_usage")),
    )
    with op.batch_alter_table("data_usage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_usage_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_data_usage_consumer_department_id"),
            ["consumer_department_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_data_usage_grant_id"), ["grant_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_data_usage_provider_department_id"),
            ["provider_department_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_data_usage_resource_id"), ["resource_id"], unique=False
        )

    op.create_table(
        "use_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("reported_by", sa.Integer(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["access_grants.id"], name=op.f("fk_use_reports_grant_id_access_grants")
        ),
        sa.ForeignKeyConstraint(
            ["reported_by"], ["users.id"], name=op.f("fk_use_reports_reported_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_use_reports")),
    )
    with op.batch_alter_table("use_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_use_reports_grant_id"), ["grant_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("use_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_use_reports_grant_id"))

    op.drop_table("use_reports")
    with op.batch_alter_table("data_usage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_usage_resource_id"))
        batch_op.drop_index(batch_op.f("ix_data_usage_provider_department_id"))
        batch_op.drop_index(batch_op.f("ix_data_usage_grant_id"))
        batch_op.drop_index(batch_op.f("ix_data_usage_consumer_department_id"))
        batch_op.drop_index(batch_op.f("ix_data_usage_at"))

    op.drop_table("data_usage")
