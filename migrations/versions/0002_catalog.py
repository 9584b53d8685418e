"""Catalog: entries, versions, data items, search, statutory sharing, sources, administrators.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 09:07:52.411395
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_CLASSIFICATION = (
    ("1", "基础信息资源"),
    ("101", "人口基础信息"),
    ("102", "法人单位基础信息"),
    ("103", "自然资源和空间地理基础信息"),
    ("104", "电子证照基础信息"),
    ("2", "主题信息资源"),
    ("201", "社会保障"),
    ("202", "市场监管"),
    ("203", "税务"),
    ("204", "公共安全"),
    ("205", "民政服务"),
    ("206", "信用体系"),
    ("3", "部门信息资源"),
    ("301", "综合政务"),
    ("302", "经济管理"),
    ("303", "社会管理"),
)


def upgrade() -> None:
    op.create_table(
        "catalog_classifications",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("parent_code", sa.String(length=12), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["catalog_classifications.code"],
            name=op.f("fk_catalog_classifications_parent_code_catalog_classifications"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_catalog_classifications")),
    )
    op.create_table(
        "catalog_authoritative_sources",
        sa.Column("element", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_catalog_authoritative_sources_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("element", name=op.f("pk_catalog_authoritative_sources")),
    )
    op.create_table(
        "catalog_resources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("provider_department_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("published_version_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retire_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["provider_department_id"],
            ["departments.id"],
            name=op.f("fk_catalog_resources_provider_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_resources")),
        sa.UniqueConstraint("code", name=op.f("uq_catalog_resources_code")),
    )
    with op.batch_alter_table("catalog_resources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_resources_provider_department_id"),
            ["provider_department_id"],
            unique=False,
        )

    op.create_table(
        "catalog_resource_administrators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_catalog_resource_administrators_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_catalog_resource_administrators_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_resource_administrators")),
    )
    with op.batch_alter_table("catalog_resource_administrators", schema=None) as batch_op:
        batch_op.create_index(
            "ix_catalog_resource_administrators_current",
            ["department_id", "ended_at"],
            unique=False,
        )

    op.create_table(
        "catalog_statutory_sharing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("item_name", sa.String(length=64), nullable=False),
        sa.Column("consumer_department_id", sa.Integer(), nullable=False),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["consumer_department_id"],
            ["departments.id"],
            name=op.f("fk_catalog_statutory_sharing_consumer_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["users.id"],
            name=op.f("fk_catalog_statutory_sharing_recorded_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_catalog_statutory_sharing_resource_id_catalog_resources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_statutory_sharing")),
    )
    with op.batch_alter_table("catalog_statutory_sharing", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_statutory_sharing_resource_id"), ["resource_id"], unique=False
        )

    op.create_table(
        "catalog_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("classification_code", sa.String(length=12), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("share_type", sa.String(length=20), nullable=False),
        sa.Column("share_condition", sa.Text(), nullable=True),
        sa.Column("share_mode", sa.String(length=20), nullable=False),
        sa.Column("open_to_public", sa.Boolean(), nullable=False),
        sa.Column("open_condition", sa.Text(), nullable=True),
        sa.Column("update_cycle", sa.String(length=20), nullable=False),
        sa.Column("share_scope", sa.String(length=20), nullable=False),
        sa.Column("timeliness", sa.String(length=100), nullable=True),
        sa.Column("provision_method", sa.String(length=20), nullable=False),
        sa.Column("related_codes", sa.JSON(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("publication_date", sa.Date(), nullable=True),
        sa.Column("change_note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["classification_code"],
            ["catalog_classifications.code"],
            name=op.f("fk_catalog_versions_classification_code_catalog_classifications"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_catalog_versions_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_catalog_versions_resource_id_catalog_resources"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"], ["users.id"], name=op.f("fk_catalog_versions_reviewed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"], ["users.id"], name=op.f("fk_catalog_versions_submitted_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_versions")),
        sa.UniqueConstraint("resource_id", "number", name=op.f("uq_catalog_versions_resource_id")),
    )
    with op.batch_alter_table("catalog_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_versions_resource_id"), ["resource_id"], unique=False
        )

    # Resources and versions refer to each other: the second reference is added once both exist.
    with op.batch_alter_table("catalog_resources") as batch_op:
        batch_op.create_foreign_key(
            op.f("fk_catalog_resources_published_version_id_catalog_versions"),
            "catalog_versions",
            ["published_version_id"],
            ["id"],
        )
    op.create_table(
        "catalog_data_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("data_type", sa.String(length=20), nullable=False),
        sa.Column("length", sa.Integer(), nullable=True),
        sa.Column("precision", sa.Integer(), nullable=True),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("is_key", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("sensitivity", sa.String(length=20), nullable=False),
        sa.Column("share_type", sa.String(length=20), nullable=False),
        sa.Column("share_condition", sa.Text(), nullable=True),
        sa.Column("legal_basis", sa.Text(), nullable=True),
        sa.Column("element", sa.String(length=64), nullable=True),
        sa.Column("duplicate_justification", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["catalog_versions.id"],
            name=op.f("fk_catalog_data_items_version_id_catalog_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_data_items")),
        sa.UniqueConstraint("version_id", "name", name=op.f("uq_catalog_data_items_version_id")),
    )
    with op.batch_alter_table("catalog_data_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_data_items_element"), ["element"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_catalog_data_items_version_id"), ["version_id"], unique=False
        )

    op.create_table(
        "catalog_search",
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("audience_department_id", sa.Integer(), nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("provider_department_id", sa.Integer(), nullable=False),
        sa.Column("share_type", sa.String(length=20), nullable=False),
        sa.Column("classification_code", sa.String(length=12), nullable=False),
        sa.Column("category", sa.String(length=1), nullable=False),
        sa.Column("update_cycle", sa.String(length=20), nullable=False),
        sa.Column("open_to_public", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tokens", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audience_department_id"],
            ["departments.id"],
            name=op.f("fk_catalog_search_audience_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_department_id"],
            ["departments.id"],
            name=op.f("fk_catalog_search_provider_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_catalog_search_resource_id_catalog_resources"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["catalog_versions.id"],
            name=op.f("fk_catalog_search_version_id_catalog_versions"),
        ),
        sa.PrimaryKeyConstraint("resource_id", name=op.f("pk_catalog_search")),
    )
    with op.batch_alter_table("catalog_search", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_search_audience_department_id"),
            ["audience_department_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_catalog_search_category"), ["category"], unique=False)
        batch_op.create_index("ix_catalog_search_class", ["classification_code"], unique=False)
        batch_op.create_index(
            "ix_catalog_search_filters", ["status", "share_type", "update_cycle"], unique=False
        )
        batch_op.create_index(
            "ix_catalog_search_provider", ["provider_department_id"], unique=False
        )

    op.create_table(
        "catalog_update_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("provider_department_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_version_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["closed_by_version_id"],
            ["catalog_versions.id"],
            name=op.f("fk_catalog_update_tasks_closed_by_version_id_catalog_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_department_id"],
            ["departments.id"],
            name=op.f("fk_catalog_update_tasks_provider_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_catalog_update_tasks_resource_id_catalog_resources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_update_tasks")),
    )
    with op.batch_alter_table("catalog_update_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_update_tasks_resource_id"), ["resource_id"], unique=False
        )

    # The classification the platform starts with (the bureau adds to it): the national
    # guideline's three classes and the common 项 under them.
    classifications = sa.table(
        "catalog_classifications",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("level", sa.Integer),
        sa.column("parent_code", sa.String),
    )
    op.bulk_insert(
        classifications,
        [
            {
                "code": code,
                "name": name,
                "level": 1 if len(code) == 1 else 2,
                "parent_code": code[:1] if len(code) > 1 else None,
            }
            for code, name in DEFAULT_CLASSIFICATION
        ],
    )
    # Full-text search over the catalog_search.tokens column (see catalog/search.py).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_catalog_search_tokens ON catalog_search "
            "USING gin (to_tsvector('simple', tokens))"
        )
    else:
        op.execute("CREATE VIRTUAL TABLE catalog_search_fts USING fts5(tokens)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_catalog_search_tokens")
    else:
        op.execute("DROP TABLE IF EXISTS catalog_search_fts")
    with op.batch_alter_table("catalog_resources") as batch_op:
        batch_op.drop_constraint(
            op.f("fk_catalog_resources_published_version_id_catalog_versions"), type_="foreignkey"
        )
    with op.batch_alter_table("catalog_update_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_update_tasks_resource_id"))

    op.drop_table("catalog_update_tasks")
    with op.batch_alter_table("catalog_search", schema=None) as batch_op:
        batch_op.drop_index("ix_catalog_search_provider")
        batch_op.drop_index("ix_catalog_search_filters")
        batch_op.drop_index("ix_catalog_search_class")
        batch_op.drop_index(batch_op.f("ix_catalog_search_category"))
        batch_op.drop_index(batch_op.f("ix_catalog_search_audience_department_id"))

    op.drop_table("catalog_search")
    with op.batch_alter_table("catalog_data_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_data_items_version_id"))
        batch_op.drop_index(batch_op.f("ix_catalog_data_items_element"))

    op.drop_table("catalog_data_items")
    with op.batch_alter_table("catalog_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_versions_resource_id"))

    op.drop_table("catalog_versions")
    with op.batch_alter_table("catalog_statutory_sharing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_statutory_sharing_resource_id"))

    op.drop_table("catalog_statutory_sharing")
    with op.batch_alter_table("catalog_resource_administrators", schema=None) as batch_op:
        batch_op.drop_index("ix_catalog_resource_administrators_current")

    op.drop_table("catalog_resource_administrators")
    with op.batch_alter_table("catalog_resources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_resources_provider_department_id"))

    op.drop_table("catalog_resources")
    op.drop_table("catalog_authoritative_sources")
    op.drop_table("catalog_classifications")
