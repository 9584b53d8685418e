"""What the access API takes and answers (R13-R15): requests, the provider's review, disputes
and grants."""

from datetime import date, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from policies.vocab import ItemAccess, Purpose, RejectReason, SharingMode


class RequestCreate(BaseModel):
    resource_code: str = Field(examples=["102/000001"])
    items: list[str] = Field(min_length=1, examples=[["legal_representative"]])
    purpose_code: Purpose
    purpose: str = Field(min_length=2, examples=["核验企业法定代表人身份"])
    duty_basis: str = Field(min_length=2, description="The duty or legal basis the use serves.")
    mode: SharingMode = SharingMode.API_QUERY
    period_from: date
    period_to: date
    access: dict[str, ItemAccess] = Field(
        default_factory=dict,
        description="Items wanted masked or for verification only; the others are read whole.",
        examples=[{"id_number": "masked", "name": "verify"}],
    )


class RequestPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    resource_code: str = ""
    items: list[str]
    purpose_code: str
    purpose: str
    duty_basis: str
    mode: str
    period_from: date
    period_to: date
    state: str
    sensitive: bool
    created_at: datetime
    info_question: str | None
    info_answer: str | None
    approved_items: list[str] | None
    approved_mode: str | None
    item_access: dict[str, str] | None = Field(description="Items asked for masked or verify.")
    approved_access: dict[str, str] | None = Field(description="Items approved masked or verify.")
    verify_quota: int | None
    row_filter: dict[str, Any] | None
    expires_at: datetime | None
    reject_code: str | None
    reject_reason: str | None
    decided_at: datetime | None


class Approval(BaseModel):
    items: list[str] | None = Field(
        None, description="Fewer items than requested narrows the approval."
    )
    mode: SharingMode | None = None
    expires_at: AwareDatetime | None = None
    row_filter: dict[str, Any] | None = Field(None, examples=[{"district": ["南山区"]}])
    note: str | None = None
    access: dict[str, ItemAccess] | None = Field(
        None, description="Narrow how items are used: read → masked → verify, never wider."
    )
    verify_quota: int | None = Field(
        None,
        ge=1,
        description="Records a day the consumer may verify; the platform's default if unset.",
    )


class Rejection(BaseModel):
    code: RejectReason
    reason: str


class Text(BaseModel):
    text: str


class Review(BaseModel):
    cleared: bool
    note: str


class Ruling(BaseModel):
    grant_items: list[str] | None = Field(None, description="None upholds the provider's decision.")
    note: str


class StatutoryGrant(BaseModel):
    resource_code: str
    consumer_department_code: str
    items: list[str]
    citation: str
    purpose: str
    valid_to: AwareDatetime | None = None


class GrantPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    consumer_department_id: int
    resource_id: int
    items: list[str]
    mode: str
    item_access: dict[str, str] | None = Field(description="Items opened masked or verify only.")
    verify_quota: int | None
    purpose: str
    row_filter: dict[str, Any] | None
    valid_from: datetime
    valid_to: datetime | None
    basis: str
    request_id: int | None
    citation: str | None
    revoked_at: datetime | None
    revoke_reason: str | None


class DisputeOpened(BaseModel):
    id: int
    state: str
    request_id: int


class DisputePublic(BaseModel):
    id: int
    request_id: int
    state: str = Field(description="open, upheld or granted")
    ground: str
    opened_at: datetime
    ruling_note: str | None
    granted_items: list[str] | None
    requested_items: list[str]


class DisputeRuled(BaseModel):
    id: int
    state: str
    granted_items: list[str] | None
