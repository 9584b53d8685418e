"""Supervision over HTTP (R11): freshness warnings and grant suspensions, and the bureau's
decisions on them."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel
from sqlalchemy import select

from exchange.identity.service import get_department, require_bureau_admin
from exchange.spreadsheets import CSV_TYPE, XLSX_TYPE
from exchange_api.deps import AppPlatform, CurrentPrincipal, DbSession
from exchange_api.errors import ERROR_RESPONSES, documented_as
from policies.models import Suspension
from supervision import enforcement, scorecards, statements, violations
from supervision.enforcement import enforce_freshness, lift
from supervision.models import Scorecard, Violation

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
    return [_public(e) for e in enforcement.visible(session, actor=viewer, limit=500)]


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


PERIOD = Query(description="A month (2026-11) or a year (2026)", pattern=r"^\d{4}(-\d{2})?$")


@router.post("/scorecards/compute", summary="Compute every department's scorecard of a period now")
def compute_scorecards(
    viewer: CurrentPrincipal, session: DbSession, platform: AppPlatform, period: str = PERIOD
) -> dict[str, Any]:
    require_bureau_admin(viewer)
    cards = scorecards.compute(
        session, period=period, zone=platform.settings.zone, now=platform.clock.now()
    )
    return {"period": period, "departments": len(cards)}


@router.get(
    "/scorecards",
    summary="Department scorecards of a period (R20), as JSON, CSV or XLSX",
    response_model=None,
    responses=documented_as("application/json", CSV_TYPE, XLSX_TYPE),
)
def list_scorecards(
    viewer: CurrentPrincipal,
    session: DbSession,
    period: str = PERIOD,
    format: str = Query("json", pattern="^(json|csv|xlsx)$"),
) -> Response | dict[str, Any]:
    rows = scorecards.as_rows(session, period)
    if format == "csv":
        return Response(scorecards.to_csv(rows), media_type=CSV_TYPE,
                        headers={"Content-Disposition": f'attachment; filename="scorecards-{period}.csv"'})  # fmt: skip
    if format == "xlsx":
        return Response(
            scorecards.to_xlsx(rows),
            media_type=XLSX_TYPE,
            headers={"Content-Disposition": f'attachment; filename="scorecards-{period}.xlsx"'},
        )
    computed = session.scalar(
        select(Scorecard.computed_at).where(Scorecard.period == period).limit(1)
    )
    return {
        "period": period,
        "computed_at": computed,
        "columns": scorecards.HEADER,
        "rows": rows,
    }


class ViolationDecision(BaseModel):
    decision: str
    reason: str


def _violation(v: Violation) -> dict[str, Any]:
    return {
        "id": v.id, "department_id": v.department_id, "kind": v.kind, "summary": v.summary,
        "evidence": v.evidence, "detected_at": v.detected_at, "decision": v.decision,
        "decision_reason": v.decision_reason, "decided_by": v.decided_by, "decided_at": v.decided_at,
    }  # fmt: skip


@router.get(
    "/violations", summary="The violations register (R20): the bureau's, or my department's"
)
def list_violations(viewer: CurrentPrincipal, session: DbSession) -> list[dict[str, Any]]:
    return [_violation(v) for v in violations.visible(session, actor=viewer, limit=1000)]


@router.post("/violations/detect", summary="Look for new violations now (the DAG does it daily)")
def detect_violations(
    viewer: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> dict[str, Any]:
    require_bureau_admin(viewer)
    return {"new": [_violation(v) for v in violations.detect(session, now=platform.clock.now())]}


@router.post(
    "/violations/{violation_id}/decision", summary="The bureau confirms or dismisses, with a reason"
)
def decide_violation(
    violation_id: int, body: ViolationDecision, viewer: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> dict[str, Any]:  # fmt: skip
    decided = violations.decide(
        session, actor=viewer, now=platform.clock.now(), violation_id=violation_id,
        decision=body.decision, reason=body.reason,
    )  # fmt: skip
    return _violation(decided)


def _statement(statement: Any, grant: Any, code: str) -> dict[str, Any]:
    return {
        "id": statement.id, "grant_id": grant.id, "resource": code, "period": statement.period,
        "consumer_department_id": grant.consumer_department_id, "reads": statement.reads,
        "rows": statement.rows, "items": statement.items, "purposes": statement.purposes,
        "confirmed_at": statement.confirmed_at, "note": statement.note,
    }  # fmt: skip


class Confirmation(BaseModel):
    note: str | None = None


@router.get("/usage-statements", summary="Monthly usage statements per grant (R17)")
def list_statements(
    viewer: CurrentPrincipal,
    session: DbSession,
    side: str = Query("consumer", pattern="^(consumer|provider)$"),
) -> list[dict[str, Any]]:
    return [_statement(*row) for row in statements.visible(session, actor=viewer, side=side)]  # type: ignore[arg-type]


@router.post("/usage-statements/generate", summary="Draw up a month's statements now")
def generate_statements(
    viewer: CurrentPrincipal, session: DbSession, platform: AppPlatform,
    period: str = Query(pattern=r"^\d{4}-\d{2}$"),
) -> dict[str, Any]:  # fmt: skip
    require_bureau_admin(viewer)
    made = statements.generate(
        session, period=period, zone=platform.settings.zone, now=platform.clock.now()
    )
    return {"period": period, "statements": len(made)}


@router.post(
    "/usage-statements/{statement_id}/confirm", summary="The consumer confirms its statement"
)
def confirm_statement(
    statement_id: int, body: Confirmation, viewer: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> dict[str, Any]:  # fmt: skip
    statements.confirm(session, actor=viewer, now=platform.clock.now(), statement_id=statement_id,
                       note=body.note)  # fmt: skip
    row = next(
        r
        for r in statements.visible(session, actor=viewer, side="consumer")
        if r[0].id == statement_id
    )
    return _statement(*row)
