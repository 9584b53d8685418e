"""What the projects API takes and answers (R24-R28)."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from projects.vocab import Direction


class ProjectCreate(BaseModel):
    name: str = Field(min_length=2, max_length=200, examples=["企业登记系统升级"])
    plan_year: int = Field(ge=2000, le=2100, examples=[2027])
    urgent_approval: str | None = Field(
        None, description="Outside the plan: the government's approval as urgent, cited (R24)."
    )
    upgrades_project_id: int | None = None


class ProjectForm(BaseModel):
    investment: dict[str, int] = Field(
        description="Yuan by part: equipment, software, technical_services, other.",
        examples=[{"software": 800000}],
    )
    funding: dict[str, int] = Field(
        description="Yuan by source: fiscal, self_raised, other.", examples=[{"fiscal": 800000}]
    )
    construction_months: int = Field(ge=1, le=120)
    persons: dict[str, str] = Field(
        description="legal_representative, project_lead, contact.",
        examples=[{"legal_representative": "王局长", "project_lead": "李工", "contact": "张三"}],
    )


class PromisedItem(BaseModel):
    name: str
    label: str | None = None
    share_type: str = Field(examples=["unconditional"])
    legal_basis: str | None = None
    element: str | None = Field(None, description="The data element, for one data, one source.")


class SharingLineIn(BaseModel):
    direction: Direction
    name: str = ""
    resource_code: str | None = Field(None, description="Needed: its catalog code.")
    items: list[PromisedItem] = Field(default_factory=list)


class SharingList(BaseModel):
    lines: list[SharingLineIn] = Field(max_length=500)


class Commitment(BaseModel):
    signed_by: str = Field(min_length=1, description="The leader who signed the commitment.")


class Note(BaseModel):
    note: str


class Inclusion(BaseModel):
    included: bool


class Experts(BaseModel):
    usernames: list[str] = Field(min_length=1, max_length=20)


class ExpertProfile(BaseModel):
    username: str
    fields: list[str] = Field(min_length=1)


class Opinion(BaseModel):
    supports: bool
    opinion: str


class Decision(BaseModel):
    approve: bool
    reply: str


class Tender(BaseModel):
    tender_date: date


class Evaluation(BaseModel):
    passed: bool
    note: str


class ProjectPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    department_id: int
    name: str
    plan_year: int
    in_plan: bool
    urgent_approval: str | None
    upgrades_project_id: int | None
    state: str
    investment: dict[str, int]
    funding: dict[str, int]
    construction_months: int | None
    persons: dict[str, str]
    commitment_signed_by: str | None
    commitment_signed_at: datetime | None
    submitted_at: datetime | None
    resubmit_after: date | None
    approval_number: str | None
    approved_at: datetime | None
    review_reply: str | None
    tender_date: date | None
    tender_filed_at: datetime | None
    initially_accepted_at: datetime | None
    accepted_at: datetime | None
    evaluation_due: date | None
    evaluation_passed: bool | None


class DocumentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    filename: str
    sha256: str
    size: int
    uploaded_at: datetime
    uploaded_by: str


class SharingLinePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    direction: str
    name: str
    resource_code: str | None
    items: list[dict[str, Any]]


class GapPublic(BaseModel):
    field: str
    message: str


class DuplicatePublic(BaseModel):
    line: str
    item: str
    element: str
    authority: str
    entries: list[str] = Field(description="Catalog entries to request the data from instead.")


class ProjectDetail(ProjectPublic):
    sharing_list: list[SharingLinePublic]
    documents: list[DocumentPublic]
    gaps: list[GapPublic] = Field(description="What the application still lacks (R25).")
    duplicates: list[DuplicatePublic] = Field(description="One data, one source (R8).")


class VetoPublic(BaseModel):
    veto: str
    line: str
    resource: str | None
    link: str | None
    message: str = Field(description="In English, or Chinese with Accept-Language: zh.")


class SharingCheckPublic(BaseModel):
    id: int
    project_id: int
    checked_at: datetime
    passed: bool
    findings: list[VetoPublic]


class PlanPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    year: int
    state: str
    reform_endorsed_by: str | None
    reform_endorsed_at: datetime | None
    finance_endorsed_by: str | None
    finance_endorsed_at: datetime | None
    approved_at: datetime | None
    approved_by: str | None


class FundingFlagPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    department_id: int
    raised_at: datetime
    evidence: list[dict[str, Any]]
    lifted_at: datetime | None
    withheld: bool | None = Field(description="The finance office's decision; None until taken.")
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None


class FundingDecision(BaseModel):
    withhold: bool
    note: str


class ChangeRequest(BaseModel):
    description: str = Field(min_length=2)
    investment: dict[str, int] | None = Field(None, description="The new split, if it changes.")
    funding: dict[str, int] | None = Field(None, description="With a new investment, its funding.")


class ChangePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    description: str
    investment: dict[str, int] | None
    funding: dict[str, int] | None
    requested_by: str
    requested_at: datetime
    approved: bool | None
    reply: str | None
    decided_by: str | None
    decided_at: datetime | None
