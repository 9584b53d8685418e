"""What a registrar submits for an entry: the API, the spreadsheet import and tests all use these."""

from pydantic import BaseModel, ConfigDict, Field

from catalog.vocab import (
    DataType,
    ProvisionMethod,
    ResourceFormat,
    Sensitivity,
    ShareMode,
    ShareScope,
    ShareType,
    UpdateCycle,
    ValueFormat,
)


class ItemDraft(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str = Field(description="Identifier: lower case letters, digits, _", examples=["uscc"])
    label: str = Field(description="信息项名称", examples=["统一社会信用代码"])
    data_type: DataType
    length: int | None = Field(None, ge=1, le=100_000)
    precision: int | None = Field(None, ge=0, le=38)
    required: bool = False
    is_key: bool = False
    description: str | None = None
    sensitivity: Sensitivity = Sensitivity.INTERNAL
    share_type: ShareType
    share_condition: str | None = Field(None, description="Required for conditional items (R3).")
    legal_basis: str | None = Field(None, description="Required for not-shared items (R3).")
    element: str | None = Field(
        None,
        description="The data element it carries (R8), e.g. enterprise_name",
        examples=["uscc"],
    )
    duplicate_justification: str | None = Field(
        None, description="Why this is collected although another department is authoritative (R8)."
    )
    value_format: ValueFormat | None = Field(
        None, description="A format every value must have, checked on each load; e.g. uscc"
    )
    allowed_values: list[str] | None = Field(
        None, description='值域: the only values allowed, e.g. ["存续", "注销"]'
    )
    masking: str | None = Field(
        None,
        description="How the item reads when shared masked (R14): keep:F:L, pseudonym, year, "
        "month, range:W or hide; by default a rule for its type and format",
        examples=["keep:4:4"],
    )


class EntryDraft(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str = Field(examples=["企业登记信息"])
    classification_code: str = Field(examples=["202"])
    abstract: str
    format: ResourceFormat = ResourceFormat.DATABASE
    share_condition: str | None = None
    share_mode: ShareMode = ShareMode.API
    open_to_public: bool = False
    open_condition: str | None = None
    update_cycle: UpdateCycle
    share_scope: ShareScope = ShareScope.CITY
    timeliness: str | None = Field(None, examples=["T+1"])
    provision_method: ProvisionMethod = ProvisionMethod.DATABASE
    related_codes: list[str] = Field(default_factory=list)
    sensitive: bool = Field(
        False, description="Needs a confidentiality review before access opens (R14)."
    )
    change_note: str | None = None
    items: list[ItemDraft]
