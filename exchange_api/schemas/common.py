"""Shapes every domain's API shares."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from exchange.workflow.models import WorkflowEvent


class WorkflowStep(BaseModel):
    """One step of a workflow: who took which action, from which state to which, and when."""

    model_config = ConfigDict(populate_by_name=True)

    action: str
    from_: str | None = Field(alias="from", serialization_alias="from")
    to: str | None
    actor: str
    at: datetime
    comment: str | None

    @classmethod
    def of(cls, event: WorkflowEvent) -> "WorkflowStep":
        return cls(action=event.action, from_=event.from_state, to=event.to_state,
                   actor=event.actor, at=event.at, comment=event.comment)  # fmt: skip
