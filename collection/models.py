from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exchange.db import Base, StoredMessage
from exchange.i18n import Message


class Source(Base):
    """Where the platform pulls a published resource's data from (R9): a database, an HTTP JSON API
    or a file drop folder. ``secret`` holds the encrypted credentials; nothing else is secret."""

    __tablename__ = "collection_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resources.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    secret: Mapped[str | None] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(String(12), default="full")
    watermark_column: Mapped[str | None] = mapped_column(String(64))
    last_watermark: Mapped[str | None] = mapped_column(String(100))
    schedule: Mapped[str | None] = mapped_column(String(60))
    bad_row_threshold: Mapped[float] = mapped_column(default=0.01)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))


class IngestRun(Base):
    """One ingestion of a source. ``run_key`` makes a run idempotent: the same key never writes twice."""

    __tablename__ = "collection_runs"
    __table_args__ = (UniqueConstraint("source_id", "run_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("collection_sources.id"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resources.id"), index=True)
    run_key: Mapped[str] = mapped_column(String(250))
    status: Mapped[str] = mapped_column(String(12))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    rows_read: Mapped[int | None]
    rows_written: Mapped[int | None]
    rows_rejected: Mapped[int | None]
    snapshot_id: Mapped[int | None] = mapped_column(BigInteger)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)  # in English, for programs
    error_message: Mapped[Message | None] = mapped_column(StoredMessage)
    drift: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The process running it (exchange.work_owner) and when it last showed life: a run whose
    # owner is gone is marked abandoned (collection.recovery).
    owner: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime | None]


class RejectedRow(Base):
    """A row kept aside because it did not conform (below the run's threshold): never dropped silently."""

    __tablename__ = "collection_rejected_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("collection_runs.id"), index=True)
    row_number: Mapped[int]  # the line in its source file (after the header), or the row's ordinal
    source_file: Mapped[str | None] = mapped_column(String(255))
    problems: Mapped[list[str]] = mapped_column(JSON)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
