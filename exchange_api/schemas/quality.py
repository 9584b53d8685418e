"""What the quality API answers about issues and their findings (R19)."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from exchange_api.schemas.common import WorkflowStep
from quality.vocab import AnswerKind


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


class IssueDetail(IssuePublic):
    rows: list[dict[str, Any]] = Field(description="The findings as the reader may see them.")
    history: list[WorkflowStep]


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


class CheckPublic(BaseModel):
    """One check of a resource's suite."""

    check: str = Field(description="Its name, unique in the suite.")
    kind: str
    columns: list[str]
    params: dict[str, Any]
    blocking: bool = Field(description="A failing snapshot is quarantined while this is true.")
    origin: str | None = Field(None, description="catalog (from the entry) or steward")
    description: str | None = None


class SuitePublic(BaseModel):
    resource: str
    checks: list[CheckPublic]


class ExpectationPublic(BaseModel):
    id: int
    kind: str
    column: str
    params: dict[str, Any]
    blocking: bool
    description: str


class ExpectationBlocking(BaseModel):
    id: int
    blocking: bool


class CheckOutcome(CheckPublic):
    success: bool
    failed_rows: int
    failed_share: float = 0.0
    samples: list[dict[str, Any]] = Field(
        description="Failing values with the row's keys (at most a few thousand per check); "
        "values and keys the reader may not read are withheld."
    )
    error: str | None = None


class ValidationSummary(BaseModel):
    run: int
    snapshot_id: int | None
    trigger: str
    passed: bool
    blocking_failed: bool
    failed_checks: int
    finished_at: datetime
    report: str = Field(description="Where its HTML report is.")


class ValidationReport(BaseModel):
    """A validation run with its checks' outcomes, as the reader may see them."""

    run: int
    resource: str
    snapshot_id: int | None
    trigger: str
    finished_at: datetime
    seconds: float
    rows: int
    passed: bool
    blocking_failed: bool
    checks: list[CheckOutcome]
    keys: list[str] = Field(default_factory=list, description="The items that identify a row.")
    name: str | None = Field(None, description="The item that names a row, beside its key.")


class LastValidation(BaseModel):
    run: int
    snapshot_id: int | None
    passed: bool
    finished_at: datetime


class DataStatusPublic(BaseModel):
    resource: str
    under_verification: bool = Field(description="Open quality issues are being verified.")
    open_issues: int
    quarantined_snapshot_id: int | None
    serving_snapshot_id: int | None = Field(
        description="What readers get while the newest snapshot is quarantined."
    )
    quarantine_reason: str | None
    last_validation: LastValidation | None


class ComparisonPublic(BaseModel):
    id: int
    name: str
    left_resource_id: int
    right_resource_id: int
    keys: list[list[str]] = Field(description="[[left item, right item], ...]")
    attributes: list[dict[str, Any]] = Field(description="[{left, right, tolerance}, ...]")
    normalise: list[str]
    created_at: datetime


class ComparisonReport(BaseModel):
    """A comparison run with its differences, as the reader may see them."""

    run: int
    comparison_id: int
    left_snapshot_id: int
    right_snapshot_id: int
    finished_at: datetime
    seconds: float
    left_rows: int
    right_rows: int
    matched: int
    mismatched_rows: int
    left_only: int
    right_only: int
    comparison: str
    left: str = Field(description="The reference resource's code.")
    right: str
    keys: list[list[str]]
    attributes: list[dict[str, Any]]
    normalise: list[str] = Field(default_factory=list)
    names: list[str | None] = Field(default_factory=list)
    mismatches: dict[str, int] = Field(description="Mismatched rows per attribute.")
    findings: list[dict[str, Any]] = Field(
        description="Each difference: kind, key, attribute and both values, withheld where the "
        "reader may not read them."
    )
    findings_shown: int
    findings_total: int


class DayPassRate(BaseModel):
    day: str
    runs: int
    passed: int
    rate: float


class OverviewIssue(BaseModel):
    id: int
    title: str
    state: str
    overdue: bool
    age_working_days: int


class DepartmentIssues(BaseModel):
    department_id: int
    department: str
    department_code: str
    open: int
    overdue: int
    issues: list[OverviewIssue]


class RecentComparison(BaseModel):
    run: int
    comparison: str
    finished_at: datetime
    findings: int
    report: str


class StewardOverview(BaseModel):
    """The bureau's stewards' view: pass rates per resource and day, open issues per department."""

    pass_rates: dict[str, list[DayPassRate]] = Field(description="Per resource code.")
    departments: list[DepartmentIssues]
    overdue: int
    open: int
    comparison_runs: list[RecentComparison]
    resources_checked: int


class ExpectationCreate(BaseModel):
    kind: str = Field(examples=["in_set"])
    column: str = Field(examples=["status"])
    params: dict[str, Any] = Field(default_factory=dict, examples=[{"values": ["存续", "注销"]}])
    blocking: bool = False
    description: str = Field(min_length=2, examples=["登记状态只能是存续或注销"])


class Answer(BaseModel):
    kind: AnswerKind
    text: str
    evidence: str | None = None


class FindingsAnswer(BaseModel):
    refs: list[str] = Field(min_length=1, max_length=10_000, examples=[["3f2a9c0d1e4b5a6c"]])
    kind: AnswerKind
    text: str
    evidence: str | None = None


class Note(BaseModel):
    note: str | None = None


class Reason(BaseModel):
    reason: str


class Blocking(BaseModel):
    blocking: bool = Field(description="A failing snapshot is quarantined while this is true.")
