"""Supervision over HTTP (R11): freshness warnings and grant suspensions, and the bureau's
decisions on them."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from exchange.identity.roles import Role
from exchange.identity.service import get_department, require_bureau_admin
from exchange_api.deps import AppPlatform, CurrentPrincipal, DbSession
from exchange_api.errors import ERROR_RESPONSES
from policies.models import Suspension
from supervision.enforcement import enforce_freshness, lift

router = APIRouter(prefix="/api/v1/supervision", tags=["supervision"], responses=ERROR_RESPONSES)


class SuspensionPublic(BaseModel):
    id: int
    department_id: int
    state: str
    late_resources: list[str]
    warned_at: datetime
    suspended_at: datetime | None
    ended_at: datetime | None
    ended_by: str | None
    end_reason: str | None


class Decision(BaseModel):
    reason: str


def _public(episode: Suspension) -> SuspensionPublic:
    return SuspensionPublic.model_validate(episode, from_attributes=True)


@router.get("/suspensions", summary="Freshness warnings and suspensions (R11), newest first")
def list_suspensions(viewer: CurrentPrincipal, session: DbSession) -> list[SuspensionPublic]:
    query = select(Suspension).order_by(Suspension.id.desc()).limit(500)
    if not viewer.has_any(Role.BUREAU_ADMIN, Role.AUDITOR, Role.DATA_STEWARD):
        query = query.where(Suspension.department_id == viewer.department_id)
    return [_public(e) for e in session.scalars(query)]


@router.post("/enforce", summary="Run the freshness enforcement now (the DAG runs it daily)")
def enforce_now(
    viewer: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> dict[str, Any]:
    require_bureau_admin(viewer)
    result = enforce_freshness(session, env=platform.workflow_environment(session))
    return {"warned": result.warned, "suspended": result.suspended, "restored": result.restored}


@router.post("/departments/{code}/lift", summary="End a warning or suspension by a bureau decision")
def lift_suspension(
    code: str, body: Decision, viewer: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> SuspensionPublic:
    department = get_department(session, code)
    episode = lift(
        session, actor=viewer, env=platform.workflow_environment(session),
        department_id=department.id, reason=body.reason,
    )  # fmt: skip
    return _public(episode)
