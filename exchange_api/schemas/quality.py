"""What the quality API answers about issues and their findings (R19)."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class DepartmentRef(BaseModel):
    code: str
    name: str


class IssuePublic(BaseModel):
    """A quality issue: what was found where, whose it is, and where it stands."""

    id: int
    origin: str = Field(description="validation, comparison or ingest (rows set aside)")
    title: str = Field(description="In English, or Chinese with Accept-Language: zh.")
    state: str
    department: DepartmentRef | None = Field(description="The department that must answer.")
    department_id: int
    resource_id: int
    snapshot_id: int | None
    row_count: int = Field(
        description="How many findings: failing rows, differences, rows set aside."
    )
    opened_at: datetime
    answer_kind: str | None
    answer: str | None
    evidence: str | None
    answered_at: datetime | None
    closed_at: datetime | None
    validation_run_id: int | None
    comparison_run_id: int | None


class IssueAnswered(IssuePublic):
    unanswered: int = Field(description="Findings still without their answer.")
    answered: int | None = Field(None, description="Answers taken from an uploaded sheet.")


class HistoryEvent(BaseModel):
    action: str
    from_: str | None = Field(alias="from")
    to: str | None
    by: str
    at: datetime
    comment: str | None


class IssueDetail(IssuePublic):
    rows: list[dict[str, Any]] = Field(description="The findings as the reader may see them.")
    history: list[HistoryEvent]


class AnswerDue(BaseModel):
    due_date: date
    due_at: datetime
    working_days_left: int
    overdue: bool
    paused: bool


class FindingAnswerPublic(BaseModel):
    kind: str
    text: str
    evidence: str | None
    answered_at: datetime


class Finding(BaseModel):
    """One finding, in the same shape whatever found it."""

    ref: str = Field(description="Names the finding in answers and uploaded sheets.")
    check: str | None
    key: dict[str, Any] | None = None
    name: Any = Field(None, description="The row's name beside its key (企业名称).")
    value: Any = None
    line: int | None = Field(None, description="Source line of a row set aside.")
    file: str | None = None
    problems: list[str] | None = None
    attribute: str | None = None
    left: Any = None
    right: Any = None
    answer: FindingAnswerPublic | None


class FindingsPage(BaseModel):
    issue: IssuePublic
    due: AnswerDue | None
    unanswered: int
    findings: list[Finding]
