"""What the supervision API answers: warnings and suspensions (R11), scorecards and the
violations register (R20), usage statements (R17)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class SuspensionPublic(BaseModel):
    id: int
    department_id: int
    state: str = Field(description="warned, suspended or ended")
    late_resources: list[str]
    warned_at: datetime
    suspended_at: datetime | None
    ended_at: datetime | None
    ended_by: str | None
    end_reason: str | None


class Decision(BaseModel):
    reason: str


class EnforcementOutcome(BaseModel):
    """Department ids, by what this run did to them."""

    warned: list[int]
    suspended: list[int]
    restored: list[int]


class ScorecardsComputed(BaseModel):
    period: str
    departments: int


class ScorecardTable(BaseModel):
    period: str
    computed_at: datetime | None
    columns: list[str]
    rows: list[list[str | float | int | None]]


class ViolationDecisionBody(BaseModel):
    decision: Literal["confirmed", "dismissed"]
    reason: str


class ViolationDecisionPublic(BaseModel):
    id: int
    decision: str
    reason: str
    decided_by: str
    decided_at: datetime
    corrects_id: int | None = Field(description="The earlier decision this one corrects.")


class ViolationPublic(BaseModel):
    id: int
    department_id: int
    kind: str
    summary: str
    evidence: list[dict[str, str]]
    detected_at: datetime
    decision: str | None = Field(description="The standing decision: the latest one.")
    decision_reason: str | None
    decided_by: str | None
    decided_at: datetime | None


class ViolationDecided(ViolationPublic):
    decisions: list[ViolationDecisionPublic] = Field(description="Every decision, oldest first.")


class DetectedViolations(BaseModel):
    new: list[ViolationPublic]


class StatementPublic(BaseModel):
    id: int
    grant_id: int
    resource: str
    period: str
    consumer_department_id: int
    reads: int
    rows: int
    masked_reads: int = Field(description="Of the reads, those served with items masked.")
    verified_records: int = Field(description="Records verified (核验), apart from reads.")
    items: list[str]
    purposes: list[str]
    confirmed_at: datetime | None
    note: str | None


class Confirmation(BaseModel):
    note: str | None = None


class StatementsGenerated(BaseModel):
    period: str
    statements: int


class UnitCloudAssessment(BaseModel):
    department: str
    systems_on_cloud: int
    cloud_share: float | None
    resource_efficiency: float | None
    mlps_on_time: float | None
    data_sharing: float | None


class ProviderCloudAssessment(BaseModel):
    provider: str
    work_orders_on_time: float | None
    work_orders_counted: int
    satisfaction: float | None = Field(description="Mean rating: 1 不满意 … 4 非常满意")
    ratings: int
    incidents: int


class CloudAssessments(BaseModel):
    period: str
    units: list[UnitCloudAssessment]
    providers: list[ProviderCloudAssessment]
