"""Supervision pages: freshness warnings and suspensions (R11), and the bureau's decision."""

from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from exchange.actions import ACTIONS
from exchange.errors import NotFound
from exchange.identity.models import Department
from exchange_api.deps import AppPlatform, DbSession
from exchange_api.portal.charts import chart_context, charts_answer
from exchange_api.portal.web import FormLists, PortalUser, done, language, render
from supervision import cloud_assessments, enforcement, scorecards, statements, violations
from supervision.enforcement import lift
from supervision.scorecard_charts import year_charts
from supervision.scorecard_exports import FORMATS, LABELS, export, shown

router = APIRouter(include_in_schema=False)


@router.get("/supervision/suspensions")
def suspensions(request: Request, actor: PortalUser, session: DbSession) -> Response:
    departments = dict(session.execute(select(Department.id, Department.name)).all())
    episodes = enforcement.visible(session, actor=actor, limit=300)
    return render(request, "suspensions.html", episodes=episodes, departments=departments)


@router.post("/supervision/departments/{department_id}/lift")
def lift_page(
    request: Request, department_id: int, actor: PortalUser, form: FormLists, platform: AppPlatform
) -> Response:
    reason = (form.get("reason") or [""])[0]
    return done(
        request, "/supervision/suspensions", platform,
        lambda session, env: lift(session, actor=actor, env=env, department_id=department_id, reason=reason),
    )  # fmt: skip


@router.get("/supervision/scorecards")
def scorecard_page(
    request: Request, actor: PortalUser, session: DbSession, platform: AppPlatform, period: str = ""
) -> Response:
    chosen = period or f"{platform.clock.now().astimezone(platform.settings.zone):%Y-%m}"
    units, providers = cloud_assessments.assess(session, period=chosen, settings=platform.settings,
                                                now=platform.clock.now())  # fmt: skip
    year = year_charts(session, _year_of(chosen))
    return render(request, "scorecards.html", period=chosen, header=scorecards.HEADER,
                  labels=LABELS, figure=shown, rows=scorecards.as_rows(session, chosen),
                  cloud_units=units, cloud_providers=providers,
                  **chart_context(request, year, "/supervision/scorecards/charts"))  # fmt: skip


@router.post("/supervision/scorecards/compute")
def compute_scorecards(
    request: Request, actor: PortalUser, form: FormLists, platform: AppPlatform
) -> Response:
    """The bureau computes a period's scorecards now, rather than waiting for the nightly run."""
    period = (form.get("period") or [""])[0].strip()

    def act(session: Any, _env: Any) -> None:
        ACTIONS.require(actor, "other", "supervision", "compute_scorecards")
        scorecards.compute(session, period=period, zone=platform.settings.zone,
                           now=platform.clock.now())  # fmt: skip

    return done(request, f"/supervision/scorecards?period={quote(period)}", platform, act)


@router.get("/supervision/scorecards/charts")
def scorecard_charts_data(
    request: Request, actor: PortalUser, session: DbSession, platform: AppPlatform, period: str = ""
) -> Response:
    """Each indicator of the period's year, month by month: what the scorecard page draws."""
    chosen = period or f"{platform.clock.now().astimezone(platform.settings.zone):%Y-%m}"
    return charts_answer(request, year_charts(session, _year_of(chosen)))


def _year_of(period: str) -> int:
    scorecards.period_bounds(period, ZoneInfo("UTC"))  # refuses what is not a period
    return int(period[:4])


@router.get("/supervision/scorecards.{extension}")
def scorecard_export(
    request: Request, extension: str, actor: PortalUser, session: DbSession, period: str
) -> Response:
    if extension not in FORMATS:
        raise NotFound("no such page")
    made = export(session, period=period, format=extension, language=language(request))
    return Response(
        made.body,
        media_type=made.media_type,
        headers={"Content-Disposition": f'attachment; filename="{made.filename}"'},
    )


@router.get("/supervision/violations")
def violations_page(request: Request, actor: PortalUser, session: DbSession) -> Response:
    departments = dict(session.execute(select(Department.id, Department.name)).all())
    found = violations.visible(session, actor=actor, limit=500)
    corrected = violations.corrected(session, [v.id for v in found])
    return render(
        request, "violations.html", found=found, departments=departments, corrected=corrected
    )


@router.post("/supervision/violations/{violation_id}/decision")
def decide_page(
    request: Request, violation_id: int, actor: PortalUser, form: FormLists, platform: AppPlatform
) -> Response:
    decision, reason = (form.get("decision") or [""])[0], (form.get("reason") or [""])[0]
    return done(
        request, "/supervision/violations", platform,
        lambda session, env: violations.decide(session, actor=actor, now=env.now,
                                               violation_id=violation_id, decision=decision, reason=reason),
    )  # fmt: skip


@router.post("/supervision/violations/{violation_id}/corrections")
def correct_page(
    request: Request, violation_id: int, actor: PortalUser, form: FormLists, platform: AppPlatform
) -> Response:
    decision, reason = (form.get("decision") or [""])[0], (form.get("reason") or [""])[0]
    return done(
        request, "/supervision/violations", platform,
        lambda session, env: violations.correct(session, actor=actor, now=env.now,
                                                violation_id=violation_id, decision=decision, reason=reason),
    )  # fmt: skip


@router.get("/supervision/usage-statements")
def statements_page(
    request: Request, actor: PortalUser, session: DbSession, side: str = "consumer"
) -> Response:
    chosen = "provider" if side == "provider" else "consumer"
    rows = statements.visible(session, actor=actor, side=chosen)  # type: ignore[arg-type]
    departments = dict(session.execute(select(Department.id, Department.name)).all())
    return render(request, "usage_statements.html", rows=rows, side=chosen, departments=departments)


@router.post("/supervision/usage-statements/{statement_id}/confirm")
def confirm_page(
    request: Request, statement_id: int, actor: PortalUser, form: FormLists, platform: AppPlatform
) -> Response:
    note = (form.get("note") or [""])[0]
    return done(
        request, "/supervision/usage-statements", platform,
        lambda session, env: statements.confirm(session, actor=actor, now=env.now,
                                                statement_id=statement_id, note=note),
    )  # fmt: skip
