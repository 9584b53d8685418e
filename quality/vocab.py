"""Vocabularies of data quality (R18, R19)."""

from enum import StrEnum


class IssueState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    ANSWERED = "answered"
    VERIFIED = "verified"
    CLOSED = "closed"


class AnswerKind(StrEnum):
    CORRECTED = "corrected"  # closes only once the check passes on a newer snapshot
    CONFIRMED = "confirmed"  # the data is right; evidence required
    DISPUTED = "disputed"  # the check or the other department is wrong; reasons required
    MIXED = "mixed"  # answered finding by finding, not all alike; the steward verifies each


class IssueOrigin(StrEnum):
    VALIDATION = "validation"
    COMPARISON = "comparison"
    INGEST = "ingest"  # rows set aside because they could not be stored


class RunTrigger(StrEnum):
    INGEST = "ingest"
    ON_DEMAND = "on_demand"
