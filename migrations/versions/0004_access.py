"""Access: requests, grants and disputes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:12:10.312052
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("provider_department_id", sa.Integer(), nullable=False),
        sa.Column("consumer_department_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("purpose_code", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("duty_basis", sa.Text(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("info_question", sa.Text(), nullable=True),
        sa.Column("info_answer", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_items", sa.JSON(), nullable=True),
        sa.Column("approved_mode", sa.String(length=20), nullable=True),
        sa.Column("row_filter", sa.JSON(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reject_code", sa.String(length=40), nullable=True),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_department_id"],
            ["departments.id"],
            name=op.f("fk_access_requests_consumer_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_access_requests_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["provider_department_id"],
            ["departments.id"],
            name=op.f("fk_access_requests_provider_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_access_requests_requested_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_access_requests_resource_id_catalog_resources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_requests")),
    )
    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_requests_consumer_department_id"),
            ["consumer_department_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_access_requests_provider_department_id"),
            ["provider_department_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_access_requests_resource_id"), ["resource_id"], unique=False
        )

    op.create_table(
        "access_disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("ground", sa.Text(), nullable=False),
        sa.Column("opened_by", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ruled_by", sa.Integer(), nullable=True),
        sa.Column("ruled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ruling_note", sa.Text(), nullable=True),
        sa.Column("granted_items", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["opened_by"], ["users.id"], name=op.f("fk_access_disputes_opened_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["access_requests.id"],
            name=op.f("fk_access_disputes_request_id_access_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["ruled_by"], ["users.id"], name=op.f("fk_access_disputes_ruled_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_disputes")),
    )
    with op.batch_alter_table("access_disputes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_disputes_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "access_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consumer_department_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("row_filter", sa.JSON(), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("citation", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=100), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["consumer_department_id"],
            ["departments.id"],
            name=op.f("fk_access_grants_consumer_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["access_requests.id"],
            name=op.f("fk_access_grants_request_id_access_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_access_grants_resource_id_catalog_resources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_grants")),
    )
    with op.batch_alter_table("access_grants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_grants_consumer_department_id"),
            ["consumer_department_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_access_grants_resource_id"), ["resource_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("access_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_grants_resource_id"))
        batch_op.drop_index(batch_op.f("ix_access_grants_consumer_department_id"))

    op.drop_table("access_grants")
    with op.batch_alter_table("access_disputes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_disputes_request_id"))

    op.drop_table("access_disputes")
    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_requests_resource_id"))
        batch_op.drop_index(batch_op.f("ix_access_requests_provider_department_id"))
        batch_op.drop_index(batch_op.f("ix_access_requests_consumer_department_id"))

    op.drop_table("access_requests")
