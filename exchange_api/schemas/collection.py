"""What the collection API takes and answers (R9, R11): sources, their runs, freshness."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class SourceCreate(BaseModel):
    resource_code: str = Field(examples=["102/000001"])
    kind: str = Field(pattern="^(database|http|file)$")
    config: dict[str, Any] = Field(
        description="database: table or query; http: url, items_path, page_size, header_name; file: folder, pattern",
        examples=[{"table": "enterprises"}],
    )
    secret: dict[str, Any] = Field(
        default_factory=dict,
        description="database: url (with password); http: header_value. Stored encrypted, never returned.",
    )
    mode: str = Field("full", pattern="^(full|incremental)$")
    watermark_column: str | None = None
    schedule: str | None = Field(
        None, description="Cron or preset; default follows the update cycle."
    )
    bad_row_threshold: float | None = Field(None, ge=0, le=1)
    additional: bool = Field(
        False,
        description="Register it although the resource has an active source: two systems feed it.",
    )


class SourceUpdate(BaseModel):
    config: dict[str, Any] | None = None
    secret: dict[str, Any] | None = Field(
        None, description="Replaces the stored credentials whole; omit to keep them."
    )
    mode: str | None = Field(None, pattern="^(full|incremental)$")
    watermark_column: str | None = None
    schedule: str | None = Field(None, description="Cron or preset; an empty text clears it.")
    bad_row_threshold: float | None = Field(None, ge=0, le=1)


class SourcePublic(BaseModel):
    id: int
    resource_code: str
    kind: str
    config: dict[str, Any]
    has_secret: bool
    mode: str
    watermark_column: str | None
    last_watermark: str | None
    schedule: str | None
    bad_row_threshold: float
    active: bool
    created_at: datetime


class RunPublic(BaseModel):
    id: int
    run_key: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    rows_read: int | None
    rows_written: int | None
    rows_rejected: int | None
    snapshot_id: int | None
    content_hash: str | None
    error: str | None
    drift: dict[str, Any] | None


class ConnectionReport(BaseModel):
    """What a test read of a source found, against what the catalog says."""

    ok: bool
    columns: list[str]
    sample: list[dict[str, Any]] = Field(description="A few rows as read.")
    drift: dict[str, Any] | None = Field(description="Where the source differs from the catalog.")
    error: str | None = Field(description="Why it failed, in English.")
    matches: list[dict[str, Any]] = Field(
        description="One row per catalog item and extra column: found against expected."
    )


class FreshnessPublic(BaseModel):
    code: str
    name: str
    provider_code: str
    update_cycle: str
    last_success_at: datetime | None
    due_by: datetime | None
    status: str = Field(description="on_time, late or never")
