from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from exchange.deadlines.models import Deadline, DeadlineStatus
from exchange.identity.visibility import Records, own_only
from exchange_api.deps import CurrentPrincipal, DbSession
from exchange_api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/v1/deadlines", tags=["deadlines"], responses=ERROR_RESPONSES)


class DeadlinePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    subject_type: str
    subject_id: str
    title: str
    link: str | None
    assignee_role: str | None
    status: str
    due_date: date
    due_at: datetime
    provisional: bool
    overdue_at: datetime | None
    stopped_at: datetime | None


@router.get("", summary="Open deadlines of my department (all, for the bureau)")
def list_deadlines(
    actor: CurrentPrincipal, session: DbSession, include_stopped: bool = False
) -> list[DeadlinePublic]:
    query = select(Deadline).order_by(Deadline.due_at)
    if not include_stopped:
        query = query.where(Deadline.status != DeadlineStatus.STOPPED)
    mine = own_only(actor, Records.DEADLINE, Deadline.assignee_department_id)
    if mine is not None:
        query = query.where(mine)
    return [DeadlinePublic.model_validate(d) for d in session.scalars(query.limit(1000))]
