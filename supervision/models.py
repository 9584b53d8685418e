"""Supervision tables: stored scorecards and the violations register. The suspension of grants
lives with the grants, in policies.models, since the decision point reads it."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exchange.db import Base, StoredMessage
from exchange.i18n import Message


class Scorecard(Base):
    """The figures of one department for one period (``2026-11`` or ``2026``), as last computed."""

    __tablename__ = "scorecards"
    __table_args__ = (UniqueConstraint("department_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    period: Mapped[str] = mapped_column(String(7), index=True)
    figures: Mapped[dict[str, float | int | None]] = mapped_column(JSON)
    computed_at: Mapped[datetime]


class Violation(Base):
    """A finding for the violations register (R20), with its evidence and the bureau's decision.
    ``key`` names the finding so that a daily detection records it once."""

    __tablename__ = "violations"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text)  # in English, for programs
    summary_message: Mapped[Message | None] = mapped_column(StoredMessage)
    evidence: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    detected_at: Mapped[datetime]
    # The standing decision: the latest of its decisions (ViolationDecision), kept here to list.
    decision: Mapped[str | None] = mapped_column(String(20))  # confirmed, dismissed
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]


class ViolationDecision(Base):
    """One decision of the bureau on a violation. A decision is final: a later correction is a
    new decision with its own reason that names the one it corrects."""

    __tablename__ = "violation_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    violation_id: Mapped[int] = mapped_column(ForeignKey("violations.id"), index=True)
    decision: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime]
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("violation_decisions.id"))


class UsageStatement(Base):
    """R17: what a consumer read under one grant in one month, for the consumer to confirm and
    the provider to see. Once confirmed it no longer changes."""

    __tablename__ = "usage_statements"
    __table_args__ = (UniqueConstraint("grant_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("access_grants.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    reads: Mapped[int]
    rows: Mapped[int]
    # Counted apart from clear reads (R17): reads served masked, and records verified.
    masked_reads: Mapped[int] = mapped_column(default=0, server_default="0")
    verified_records: Mapped[int] = mapped_column(default=0, server_default="0")
    items: Mapped[list[str]] = mapped_column(JSON)
    purposes: Mapped[list[str]] = mapped_column(JSON)
    generated_at: Mapped[datetime]
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
