"""Collection: sources, ingest runs, rejected rows, and the store's Iceberg catalog tables.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 09:31:03.811401
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "collection_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("watermark_column", sa.String(length=64), nullable=True),
        sa.Column("last_watermark", sa.String(length=100), nullable=True),
        sa.Column("schedule", sa.String(length=60), nullable=True),
        sa.Column("bad_row_threshold", sa.Double(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_collection_sources_resource_id_catalog_resources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_sources")),
    )
    with op.batch_alter_table("collection_sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collection_sources_resource_id"), ["resource_id"], unique=False
        )

    op.create_table(
        "collection_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("run_key", sa.String(length=250), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rows_read", sa.Integer(), nullable=True),
        sa.Column("rows_written", sa.Integer(), nullable=True),
        sa.Column("rows_rejected", sa.Integer(), nullable=True),
        sa.Column("snapshot_id", sa.BigInteger(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("drift", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_collection_runs_resource_id_catalog_resources"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["collection_sources.id"],
            name=op.f("fk_collection_runs_source_id_collection_sources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_runs")),
        sa.UniqueConstraint("source_id", "run_key", name=op.f("uq_collection_runs_source_id")),
    )
    with op.batch_alter_table("collection_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collection_runs_resource_id"), ["resource_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_collection_runs_source_id"), ["source_id"], unique=False
        )

    op.create_table(
        "collection_rejected_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["collection_runs.id"],
            name=op.f("fk_collection_rejected_rows_run_id_collection_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_rejected_rows")),
    )
    with op.batch_alter_table("collection_rejected_rows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collection_rejected_rows_run_id"), ["run_id"], unique=False
        )

    # pyiceberg's SQL catalog (schema v1), made here so that Alembic stays the only way the schema
    # is made; the store opens the catalog with init_catalog_tables=false.
    op.create_table(
        "iceberg_tables",
        sa.Column("catalog_name", sa.String(255), primary_key=True),
        sa.Column("table_namespace", sa.String(255), primary_key=True),
        sa.Column("table_name", sa.String(255), primary_key=True),
        sa.Column("metadata_location", sa.String(1000), nullable=True),
        sa.Column("previous_metadata_location", sa.String(1000), nullable=True),
        sa.Column("iceberg_type", sa.String(5), nullable=True),
    )
    op.create_table(
        "iceberg_namespace_properties",
        sa.Column("catalog_name", sa.String(255), primary_key=True),
        sa.Column("namespace", sa.String(255), primary_key=True),
        sa.Column("property_key", sa.String(255), primary_key=True),
        sa.Column("property_value", sa.String(1000), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("iceberg_namespace_properties")
    op.drop_table("iceberg_tables")
    with op.batch_alter_table("collection_rejected_rows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_rejected_rows_run_id"))

    op.drop_table("collection_rejected_rows")
    with op.batch_alter_table("collection_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_runs_source_id"))
        batch_op.drop_index(batch_op.f("ix_collection_runs_resource_id"))

    op.drop_table("collection_runs")
    with op.batch_alter_table("collection_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_sources_resource_id"))

    op.drop_table("collection_sources")
