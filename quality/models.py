"""Quality tables: stewards' extra expectations, validation runs per snapshot, comparisons between
departments' resources and their runs, and the quality issues departments must answer (R19)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exchange.db import Base, StoredMessage
from exchange.deadlines.service import Assignment
from exchange.i18n import Message
from exchange.identity.roles import Role
from exchange.worklist.service import HandOff

FEEDBACK = "quality_feedback"


class StewardExpectation(Base):
    """An expectation a steward adds to a resource's generated suite."""

    __tablename__ = "quality_expectations"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resources.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    column: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    blocking: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str] = mapped_column(Text)
    added_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]


class ValidationRun(Base):
    """One run of a resource's suite on one snapshot; ``report`` holds every check's result."""

    __tablename__ = "quality_validation_runs"
    __table_args__ = (
        Index("ix_quality_validation_runs_resource_at", "resource_id", "finished_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resources.id"))
    resource_code: Mapped[str] = mapped_column(String(32))
    snapshot_id: Mapped[int] = mapped_column(BigInteger)
    trigger: Mapped[str] = mapped_column(String(20))
    finished_at: Mapped[datetime]
    seconds: Mapped[float]
    rows: Mapped[int]
    checks: Mapped[int]
    failed_checks: Mapped[int]
    passed: Mapped[bool]
    blocking_failed: Mapped[bool]
    report: Mapped[dict[str, Any]] = mapped_column(JSON)


class Comparison(Base):
    """A steward's comparison of two resources (R18): join keys, attribute pairs, normalisation."""

    __tablename__ = "quality_comparisons"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    left_resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resources.id"))
    right_resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resources.id"))
    keys: Mapped[list[list[str]]] = mapped_column(JSON)  # [[left item, right item], ...]
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # {left, right, tolerance}
    normalise: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class ComparisonRun(Base):
    __tablename__ = "quality_comparison_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    comparison_id: Mapped[int] = mapped_column(ForeignKey("quality_comparisons.id"), index=True)
    left_snapshot_id: Mapped[int] = mapped_column(BigInteger)
    right_snapshot_id: Mapped[int] = mapped_column(BigInteger)
    finished_at: Mapped[datetime]
    seconds: Mapped[float]
    left_rows: Mapped[int]
    right_rows: Mapped[int]
    matched: Mapped[int]
    mismatched_rows: Mapped[int]
    left_only: Mapped[int]
    right_only: Mapped[int]
    report: Mapped[dict[str, Any]] = mapped_column(JSON)


class QualityIssue(Base):
    """What one check found wrong in one department's data, with the rows: one issue per
    validation run, or per comparison run and responsible department — never one per row."""

    __tablename__ = "quality_issues"
    __table_args__ = (Index("ix_quality_issues_department_state", "department_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[str] = mapped_column(String(20))
    validation_run_id: Mapped[int | None] = mapped_column(ForeignKey("quality_validation_runs.id"))
    comparison_run_id: Mapped[int | None] = mapped_column(ForeignKey("quality_comparison_runs.id"))
    # The ingestion run that set rows aside; a plain number, not a foreign key, because quality
    # does not depend on collection (collection reports into quality).
    ingest_run_id: Mapped[int | None]
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resources.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    # None for rows set aside by a run that wrote nothing: they were found before any snapshot.
    snapshot_id: Mapped[int | None] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(200))  # in English, for programs
    title_message: Mapped[Message | None] = mapped_column(StoredMessage)
    row_count: Mapped[int]
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20))
    opened_at: Mapped[datetime]
    answer_kind: Mapped[str | None] = mapped_column(String(20))
    answer: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # Of two people acting on one issue at the same moment, exactly one commits.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it)

    def deadline_assignment(self, kind: str) -> Assignment:
        return Assignment(self.department_id, Role.DATA_RESOURCE_ADMIN, Role.COORDINATING_OFFICE)

    def deadline_title(self, kind: str) -> Message:
        return Message("Answer quality issue {id}: {title}", id=self.id, title=self._heading())

    def _heading(self) -> Message | str:
        return self.title_message or self.title[:100]

    def hand_off(self, action: str) -> HandOff | None:
        """Who acts next (R19): the responsible department answers an opened or returned issue;
        the bureau's data stewards judge the answer."""
        link = f"/quality/issues/{self.id}"
        if action in ("open", "return"):
            due = self.deadline_assignment(FEEDBACK)
            return HandOff(
                "quality.issue",
                self.deadline_title(""),
                Message(
                    "{count} findings: verify or correct them and answer within the "
                    "deadline shown in your work list (R19).",
                    count=self.row_count,
                ),
                link,
                role=Role(str(due.role)),
                department_id=due.department_id,
            )
        if action == "answer":
            return HandOff(
                "quality.answered",
                Message(
                    "Judge the answer to quality issue {id}: {title}",
                    id=self.id,
                    title=self._heading(),
                ),
                Message("The responsible department answered; verify it or return it."),
                link,
                role=Role.DATA_STEWARD,
            )
        return None


class FindingAnswer(Base):
    """The responsible department's answer to one finding of an issue (R19). ``ref`` names the
    finding by what it is about (check, attribute, row key or source line), so an answer stays
    with its finding when a later run refreshes the issue's rows."""

    __tablename__ = "quality_finding_answers"
    __table_args__ = (UniqueConstraint("issue_id", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("quality_issues.id"), index=True)
    ref: Mapped[str] = mapped_column(String(24))
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime]
