"""What the data API's verification takes and answers (核验, R3/R14)."""

from typing import Literal

from pydantic import BaseModel, Field

from exchange.normalising import Normalisation

Outcome = Literal["match", "mismatch", "not_found"]


class VerifyCall(BaseModel):
    purpose: str = Field(min_length=2, examples=["核验申请人身份"], description="Recorded (R15).")
    records: list[dict[str, str | int | float | None]] = Field(
        description="Each record: the resource's key items and the values claimed for others.",
        examples=[[{"id_number": "420102199001011234", "name": "张三"}]],
    )
    normalise: list[Normalisation] = Field(
        default_factory=list,
        description="Compare after making widths, spaces or case alike, as comparisons do.",
    )
    grant_id: int | None = Field(None, description="Verify under this grant; by default any.")


class VerifyAnswer(BaseModel):
    resource: str
    snapshot_id: int
    basis: str
    grant_id: int | None
    keys: list[str]
    items: list[str] = Field(description="The items claimed in at least one record.")
    counts: dict[str, int] = Field(description="How many answers were match, mismatch, not_found.")
    results: list[dict[str, Outcome]] = Field(
        description="Per record, in the order sent: each claimed item and its outcome."
    )
