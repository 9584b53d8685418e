"""What the government cloud's API takes and answers (R29-R33)."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cloud.vocab import ApprovalDocument, ResourceKind, Satisfaction


class ServiceIn(BaseModel):
    code: str = Field(examples=["ecs-vcpu"])
    name: str = Field(examples=["云主机 vCPU"])
    kind: ResourceKind
    unit: str = Field(examples=["核"])
    price_per_day_fen: int = Field(gt=0, description="The contracted price per unit and day.")
    ceiling_per_day_fen: int = Field(gt=0, description="The price may never exceed this.")


class ServicePublic(ServiceIn):
    model_config = ConfigDict(from_attributes=True)

    id: int
    provider_id: int
    supplementary: bool
    filed_at: datetime


class ProviderCreate(BaseModel):
    department_code: str = Field(description="The provider's organisation on the platform.")
    contract_number: str
    contract_from: date
    contract_to: date = Field(description="At most 3 years after contract_from (R32).")
    services: list[ServiceIn] = Field(min_length=1)


class ProviderPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    department_id: int
    contract_number: str
    contract_from: date
    contract_to: date
    leaving_on: date | None


class LineIn(BaseModel):
    service_code: str
    quantity: int = Field(ge=1)
    elastic_peak: int | None = Field(None, ge=1, description="The most it may scale to.")


class ApplicationCreate(BaseModel):
    provider_id: int
    system_name: str
    construction_plan: str
    self_test_report: str = Field(description="Performance and security self-test (R29).")
    security_letter_signed_by: str = Field(description="Who signed the security letter.")
    persons: dict[str, str] = Field(examples=[{"负责人": "张三 13800000000"}])
    lines: list[LineIn] = Field(min_length=1)
    approval_document: ApprovalDocument
    approval_reference: str
    sharing_connection: str = Field(description="How the system connects to data sharing.")
    mlps_level: int = Field(ge=1, le=5)
    provides: list[str] = Field(default_factory=list, description="Catalog entries it provides.")
    uses: list[str] = Field(default_factory=list, description="Catalog entries it uses.")
    project_id: int | None = None
    investment_yuan: int | None = Field(None, ge=0)
    major: bool = False


class ApplicationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    department_id: int
    provider_id: int
    system_name: str
    state: str
    project_id: int | None
    investment_yuan: int | None
    approval_document: str
    provides: list[str]
    uses: list[str]
    mlps_level: int
    major: bool
    submitted_at: datetime
    refusal: str | None
    approval_opinion: str | None
    opened_at: datetime | None
    trial_extended_days: int
    production_at: datetime | None
    mlps_due: date | None
    fallback_until: date | None = Field(description="A migrated system's old environment is kept.")


class Decision(BaseModel):
    action: str = Field(description="accept, refuse, approve (the bureau) or resubmit (the unit)")
    reason: str = Field("", description="A refusal's reasons, an approval's opinion.")


class Extension(BaseModel):
    days: int = Field(ge=1)
    expert_opinion: str


class TestReport(BaseModel):
    report: str
    third_party_report: str | None = Field(None, description="Required at MLPS level 3 and up.")


class TestReview(BaseModel):
    passed: bool
    note: str


class WorkOrderPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    application_id: int
    provider_id: int
    kind: str
    state: str
    issued_at: datetime
    done_at: datetime | None
    resource_ids: dict[str, Any] | None
    satisfaction: str | None


class Opening(BaseModel):
    resource_ids: dict[str, str] = Field(examples=[{"ecs": "i-0001", "ebs": "vol-0001"}])


class Rating(BaseModel):
    satisfaction: Satisfaction


class ChangeCreate(BaseModel):
    description: str
    lines: list[LineIn] = Field(min_length=1, description="The resources after the change.")
    major: bool = Field(False, description="A major change refiles and is tested again (R32).")


class ExitCreate(BaseModel):
    description: str
    data_migrated: bool = Field(description="The unit confirms its data is migrated out.")


class ChangeDecision(BaseModel):
    approve: bool
    reply: str = ""


class WipeCertificate(BaseModel):
    certificate: str = Field(description="The provider's certificate that the data is wiped.")


class ChangePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    application_id: int
    kind: str
    state: str
    description: str
    major: bool
    requested_at: datetime
    decided_at: datetime | None
    reply: str | None
    wipe_certificate: str | None
    confirmed_at: datetime | None


class FeeLinePublic(BaseModel):
    system: str
    service: str
    quantity: int
    days: int
    price_fen: int
    fee_fen: int


class SettlementPublic(BaseModel):
    year: int
    provider: str
    unit: str
    total_fen: int = Field(description="The fees of the year, in fen (0.01 yuan).")
    lines: list[FeeLinePublic]


class RightsizingPublic(BaseModel):
    application_id: int
    system: str
    unit: str
    resource_id: str
    verdict: str = Field(description="idle or over_provisioned")
    cpu_avg: float
    cpu_peak: float
    memory_peak: float
    suggestion: str = Field(description="The change to ask for, e.g. 云主机 vCPU 8 → 2, or release")
    yearly_saving_yuan: float


class LateReport(BaseModel):
    provider_id: int
    month: str


class MlpsReport(BaseModel):
    report: str = Field(description="The assessment report and its conclusion.")


class IncidentCreate(BaseModel):
    occurred_on: date
    description: str


class Leaving(BaseModel):
    leaving_on: date = Field(description="At least the transition (3 months) from today (R32).")
