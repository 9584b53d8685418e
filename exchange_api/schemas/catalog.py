"""What the catalog API takes and answers."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from catalog.vocab import ResourceStatus


class ItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    label: str
    data_type: str
    length: int | None
    precision: int | None
    required: bool
    is_key: bool
    description: str | None
    sensitivity: str
    share_type: str
    share_condition: str | None
    legal_basis: str | None
    element: str | None
    duplicate_justification: str | None
    value_format: str | None
    allowed_values: list[str] | None


class VersionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    state: str
    name: str
    classification_code: str
    abstract: str
    format: str
    share_type: str = Field(description="Derived from the items (R3).")
    share_condition: str | None
    share_mode: str
    open_to_public: bool
    open_condition: str | None
    update_cycle: str
    share_scope: str
    timeliness: str | None
    provision_method: str
    related_codes: list[str]
    sensitive: bool
    publication_date: date | None
    change_note: str | None
    review_comment: str | None
    submitted_at: datetime | None
    reviewed_at: datetime | None
    items: list[ItemPublic]


class DepartmentRef(BaseModel):
    code: str
    name: str


class QualityBadge(BaseModel):
    """What consumers should know of the data's quality now (R19)."""

    under_verification: bool = Field(description="Quality issues are open for this resource.")
    open_issues: int
    quarantined: bool = Field(description="The newest snapshot failed a blocking check.")


class EntryPublic(BaseModel):
    code: str
    status: ResourceStatus
    provider: DepartmentRef
    published: VersionPublic | None
    in_progress: VersionPublic | None = Field(
        None, description="Only for the providing department."
    )
    completeness: float = Field(description="Share of recommended metadata filled in (R6).")
    completeness_gaps: list[dict[str, str]] = Field(
        default_factory=list, description="What to fill in for a higher completeness score."
    )
    retire_reason: str | None
    statutory_sharing: list[dict[str, Any]]
    open_update_tasks: list[dict[str, Any]]
    quality: QualityBadge


class SearchHit(BaseModel):
    code: str
    name: str
    abstract: str
    provider: DepartmentRef
    share_type: str
    share_type_label: str
    classification_code: str
    update_cycle: str
    open_to_public: bool
    status: str


class SearchPage(BaseModel):
    total: int
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]] = Field(
        description="Counts per value of each filter, over the results."
    )


class Comment(BaseModel):
    comment: str = ""


class Reason(BaseModel):
    reason: str


class KeyChange(BaseModel):
    description: str = Field(min_length=2, examples=["业务系统升级，新增经营范围字段"])


class StatutoryCreate(BaseModel):
    item_name: str
    consumer_department_code: str
    citation: str = Field(min_length=2, examples=["《社会保险法》第五十七条"])


class SourceCreate(BaseModel):
    label: str
    department_code: str


class ValidationReport(BaseModel):
    valid: bool
    completeness: float
    problems: list[dict[str, str]]


class ImportReport(BaseModel):
    created: list[str]
    changed: list[str]
    unchanged: list[str] = Field(description="entries the file left as they were")
    warnings: list[dict[str, object]] = Field(
        description="rows matched to an entry by name; columns the template does not have"
    )


class ClassificationCreate(BaseModel):
    code: str = Field(pattern=r"^\d{1,9}$", examples=["20201"])
    name: str = Field(min_length=1, max_length=100)
    name_en: str | None = Field(None, max_length=200, description="The English name.")


class AdministratorAssign(BaseModel):
    username: str


class VersionDiff(BaseModel):
    """What changed from one version of an entry to another."""

    model_config = ConfigDict(populate_by_name=True)

    from_: int = Field(alias="from", serialization_alias="from")
    to: int
    key_change: bool = Field(description="Whether a key element changed (R7).")
    lines: list[str] = Field(description="The changes, one per line, for people.")
    fields: dict[str, list[Any]] = Field(description="Entry fields changed: [before, after].")
    items_added: list[str]
    items_removed: list[str]
    items_changed: dict[str, dict[str, list[Any]]] = Field(
        description="Per item, its changed fields: [before, after]."
    )


class EntryStep(BaseModel):
    """One step of an entry's review, with the version it concerned."""

    model_config = ConfigDict(populate_by_name=True)

    version: int
    action: str
    from_: str | None = Field(alias="from", serialization_alias="from")
    to: str | None
    actor: str
    at: datetime
    comment: str | None


class UpdateTaskPublic(BaseModel):
    id: int
    state: str
    opened_at: datetime


class ClassificationPublic(BaseModel):
    code: str
    name: str
    name_en: str | None = None
    level: int
    parent_code: str | None


class StatutorySharingPublic(BaseModel):
    id: int
    item_name: str
    citation: str


class AuthoritativeSourcePublic(BaseModel):
    element: str
    department_code: str


class DuplicateCollectionRow(BaseModel):
    """An item collected again although another department is authoritative for it (R8)."""

    resource_code: str
    resource_name: str
    provider: str
    item_name: str
    item_label: str
    element: str
    authoritative_department: str
    justification: str | None
    version_state: str = Field(description="The state of the version that collects it.")


class AdministratorTerm(BaseModel):
    username: str
    display_name: str
    started_at: datetime
    ended_at: datetime | None = Field(description="None while the term runs.")
