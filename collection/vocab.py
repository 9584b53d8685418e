"""Vocabularies of collection (R9, R11)."""

from enum import StrEnum


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ABANDONED = "abandoned"  # its process died while it ran; a retry with its key may follow


class LoadMode(StrEnum):
    FULL = "full"  # each run replaces the resource's data with a new snapshot
    INCREMENTAL = "incremental"  # each run adds the rows past the watermark


class Freshness(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    NEVER = "never"  # not collected yet
