"""Supervision over HTTP (R11): freshness warnings and grant suspensions, and the bureau's
decisions on them."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from exchange.identity.service import get_department
from exchange.principal import Principal
from exchange.spreadsheets import CSV_TYPE, XLSX_TYPE
from exchange_api.deps import AppPlatform, CurrentPrincipal, DbSession, require_action
from exchange_api.errors import ERROR_RESPONSES, api_language, documented_as
from exchange_api.schemas.supervision import (
    CloudAssessments,
    Confirmation,
    Decision,
    DetectedViolations,
    EnforcementOutcome,
    ScorecardsComputed,
    ScorecardTable,
    StatementPublic,
    StatementsGenerated,
    SuspensionPublic,
    ViolationDecided,
    ViolationDecisionBody,
    ViolationDecisionPublic,
    ViolationPublic,
)
from policies.models import Grant, Suspension
from supervision import (
    cloud_assessments,
    dashboard,
    enforcement,
    scorecards,
    statements,
    violations,
)
from supervision.enforcement import enforce_freshness, lift
from supervision.models import UsageStatement, Violation
from supervision.scorecard_exports import PDF_TYPE, export

router = APIRouter(prefix="/api/v1/supervision", tags=["supervision"], responses=ERROR_RESPONSES)


# Callers the action table lets take each bureau-only supervision action for the whole city.
Enforcing = Annotated[Principal, Depends(require_action("supervision", "enforce"))]
ComputingScorecards = Annotated[
    Principal, Depends(require_action("supervision", "compute_scorecards"))
]
DetectingViolations = Annotated[
    Principal, Depends(require_action("supervision", "detect_violations"))
]
GeneratingStatements = Annotated[
    Principal, Depends(require_action("supervision", "generate_statements"))
]


def _public(episode: Suspension) -> SuspensionPublic:
    return SuspensionPublic.model_validate(episode, from_attributes=True)


@router.get("/suspensions", summary="Freshness warnings and suspensions (R11), newest first")
def list_suspensions(actor: CurrentPrincipal, session: DbSession) -> list[SuspensionPublic]:
    return [_public(e) for e in enforcement.visible(session, actor=actor, limit=500)]


@router.post("/enforce", summary="Run the freshness enforcement now (the DAG runs it daily)")
def enforce_now(_: Enforcing, session: DbSession, platform: AppPlatform) -> EnforcementOutcome:
    result = enforce_freshness(session, env=platform.workflow_environment(session))
    return EnforcementOutcome(
        warned=result.warned, suspended=result.suspended, restored=result.restored
    )


@router.post("/departments/{code}/lift", summary="End a warning or suspension by a bureau decision")
def lift_suspension(
    code: str, body: Decision, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> SuspensionPublic:
    department = get_department(session, code)
    episode = lift(
        session, actor=actor, env=platform.workflow_environment(session),
        department_id=department.id, reason=body.reason,
    )  # fmt: skip
    return _public(episode)


PERIOD = Query(description="A month (2026-11) or a year (2026)", pattern=r"^\d{4}(-\d{2})?$")


@router.post("/scorecards/compute", summary="Compute every department's scorecard of a period now")
def compute_scorecards(
    _: ComputingScorecards,
    session: DbSession,
    platform: AppPlatform,
    period: str = PERIOD,
) -> ScorecardsComputed:
    cards = scorecards.compute(
        session, period=period, zone=platform.settings.zone, now=platform.clock.now()
    )
    return ScorecardsComputed(period=period, departments=len(cards))


@router.get(
    "/scorecards",
    summary="Department scorecards of a period (R20), best first: JSON with the figures' codes, "
    "or CSV, XLSX or a printable PDF in the reader's language (Accept-Language)",
    response_model=None,
    responses=documented_as("application/json", CSV_TYPE, XLSX_TYPE, PDF_TYPE),
)
def list_scorecards(
    request: Request,
    actor: CurrentPrincipal,
    session: DbSession,
    period: str = PERIOD,
    format: str = Query("json", pattern="^(json|csv|xlsx|pdf)$"),
) -> Response | ScorecardTable:
    if format != "json":
        made = export(session, period=period, format=format, language=api_language(request))
        return Response(made.body, media_type=made.media_type,
                        headers={"Content-Disposition": f'attachment; filename="{made.filename}"'})  # fmt: skip
    return ScorecardTable(
        period=period,
        computed_at=scorecards.computed_at(session, period),
        columns=scorecards.HEADER,
        rows=scorecards.as_rows(session, period),
    )


def _violation(v: Violation) -> ViolationPublic:
    return ViolationPublic.model_validate(v, from_attributes=True)


def _decided(session: DbSession, v: Violation) -> ViolationDecided:
    return ViolationDecided(
        **_violation(v).model_dump(),
        decisions=[
            ViolationDecisionPublic.model_validate(d, from_attributes=True)
            for d in violations.decisions_of(session, v.id)
        ],
    )


@router.get(
    "/violations", summary="The violations register (R20): the bureau's, or my department's"
)
def list_violations(actor: CurrentPrincipal, session: DbSession) -> list[ViolationPublic]:
    return [_violation(v) for v in violations.visible(session, actor=actor, limit=1000)]


@router.post("/violations/detect", summary="Look for new violations now (the DAG does it daily)")
def detect_violations(
    _: DetectingViolations, session: DbSession, platform: AppPlatform
) -> DetectedViolations:
    found = violations.detect(session, now=platform.clock.now())
    return DetectedViolations(new=[_violation(v) for v in found])


@router.post(
    "/violations/{violation_id}/decision", summary="The bureau confirms or dismisses, with a reason"
)
def decide_violation(
    violation_id: int, body: ViolationDecisionBody, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> ViolationDecided:  # fmt: skip
    decided = violations.decide(
        session, actor=actor, now=platform.clock.now(), violation_id=violation_id,
        decision=body.decision, reason=body.reason,
    )  # fmt: skip
    return _decided(session, decided)


@router.post(
    "/violations/{violation_id}/corrections",
    summary="Correct a decision: a new decision with its own reason, linked to the one it corrects",
)
def correct_violation(
    violation_id: int, body: ViolationDecisionBody, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> ViolationDecided:  # fmt: skip
    corrected = violations.correct(
        session, actor=actor, now=platform.clock.now(), violation_id=violation_id,
        decision=body.decision, reason=body.reason,
    )  # fmt: skip
    return _decided(session, corrected)


@router.get("/violations/{violation_id}", summary="A violation with every decision on it")
def get_violation(
    violation_id: int, actor: CurrentPrincipal, session: DbSession
) -> ViolationDecided:
    return _decided(
        session, violations.visible_one(session, actor=actor, violation_id=violation_id)
    )


def _statement(statement: UsageStatement, grant: Grant, code: str) -> StatementPublic:
    return StatementPublic(
        id=statement.id, grant_id=grant.id, resource=code, period=statement.period,
        consumer_department_id=grant.consumer_department_id, reads=statement.reads,
        rows=statement.rows, masked_reads=statement.masked_reads,
        verified_records=statement.verified_records, items=statement.items, purposes=statement.purposes,
        confirmed_at=statement.confirmed_at, note=statement.note,
    )  # fmt: skip


@router.get("/usage-statements", summary="Monthly usage statements per grant (R17)")
def list_statements(
    actor: CurrentPrincipal,
    session: DbSession,
    side: str = Query("consumer", pattern="^(consumer|provider)$"),
) -> list[StatementPublic]:
    return [_statement(*row) for row in statements.visible(session, actor=actor, side=side)]  # type: ignore[arg-type]


@router.post("/usage-statements/generate", summary="Draw up a month's statements now")
def generate_statements(
    _: GeneratingStatements, session: DbSession, platform: AppPlatform,
    period: str = Query(pattern=r"^\d{4}-\d{2}$"),
) -> StatementsGenerated:  # fmt: skip
    made = statements.generate(
        session, period=period, zone=platform.settings.zone, now=platform.clock.now()
    )
    return StatementsGenerated(period=period, statements=len(made))


@router.post(
    "/usage-statements/{statement_id}/confirm", summary="The consumer confirms its statement"
)
def confirm_statement(
    statement_id: int, body: Confirmation, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> StatementPublic:  # fmt: skip
    statements.confirm(session, actor=actor, now=platform.clock.now(), statement_id=statement_id,
                       note=body.note)  # fmt: skip
    row = next(
        r
        for r in statements.visible(session, actor=actor, side="consumer")
        if r[0].id == statement_id
    )
    return _statement(*row)


@router.get(
    "/cloud-assessments",
    summary="The cloud assessments of a period (R33): units and providers, JSON or CSV",
    response_model=None,
    responses=documented_as("application/json", CSV_TYPE),
)
def cloud_assessment(
    request: Request,
    actor: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
    period: str = PERIOD,
    format: str = Query("json", pattern="^(json|csv)$"),
) -> Response | CloudAssessments:
    units, providers = cloud_assessments.assess(session, period=period, settings=platform.settings,
                                                now=platform.clock.now())  # fmt: skip
    if format == "csv":
        body = cloud_assessments.to_csv(units, providers, api_language(request))
        return Response(body, media_type=CSV_TYPE,
                        headers={"Content-Disposition": f'attachment; filename="cloud-{period}.csv"'})  # fmt: skip
    return CloudAssessments(period=period, units=[u.__dict__ for u in units],
                            providers=[p.__dict__ for p in providers])  # fmt: skip


@router.get(
    "/dashboard",
    summary="The dashboard's charts as figures: sharing, timeliness, quality, flows (R14-R20)",
)
def dashboard_figures(
    request: Request,
    actor: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
    first: Annotated[
        str, Query(description="First month, 2026-06; six months back by default.")
    ] = "",
    last: Annotated[str, Query(description="Last month, 2026-11; this month by default.")] = "",
    department_id: Annotated[
        int | None,
        Query(description="One department (oversight roles only; others see their own)."),
    ] = None,
) -> dict[str, Any]:
    """The figures every chart of the portal's dashboard draws, exactly those its tables show."""
    return dashboard.as_json(
        session, platform, actor, api_language(request), first=first, last=last,
        department_id=department_id,
    )  # fmt: skip
