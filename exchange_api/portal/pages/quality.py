"""Quality pages: the steward overview (pass rates, open issues by department and age, recent
comparison runs with their reports) and a quality issue's page, where the responsible department
answers with a correction or evidence and the steward verifies and closes."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import select
from starlette.datastructures import UploadFile

from catalog.models import Resource
from exchange.errors import InvalidInput, NotFound
from exchange.identity.models import Department
from exchange.identity.visibility import Records, sees_all
from exchange.spreadsheets import CSV_TYPE, XLSX_TYPE
from exchange.workflow.engine import history
from exchange_api.deps import AppPlatform, DbSession, readable_by
from exchange_api.middleware import offline_report
from exchange_api.portal.charts import chart_context, charts_answer
from exchange_api.portal.i18n import LANGUAGES, translations
from exchange_api.portal.web import (
    Form,
    FormLists,
    PortalUser,
    attempt,
    checked_form,
    language,
    redirect,
    render,
    say,
)
from quality import finding_sheets, findings, issues, reports
from quality.issues import UNRESOLVED
from quality.models import QualityIssue
from quality.overview_charts import overview_charts
from quality.vocab import AnswerKind

router = APIRouter(include_in_schema=False)
SHEET_TYPES = {"xlsx": XLSX_TYPE, "csv": CSV_TYPE}


@router.get("/quality")
def overview(
    request: Request, actor: PortalUser, session: DbSession, platform: AppPlatform
) -> Response:
    if not sees_all(actor, Records.QUALITY_ISSUE):
        mine = session.scalars(
            select(QualityIssue)
            .where(QualityIssue.department_id == actor.department_id)
            .order_by(QualityIssue.id.desc())
            .limit(200)
        ).all()
        return render(request, "quality_mine.html", issues=mine)
    summary = reports.steward_overview(
        session, now=platform.clock.now(), calendar=platform.calendar(session),
        language=language(request),
    )  # fmt: skip
    trends = overview_charts(session, now=platform.clock.now(), zone=platform.settings.zone)
    return render(request, "quality_overview.html", summary=summary,
                  **chart_context(request, trends, "/quality/charts"))  # fmt: skip


@router.get("/quality/charts")
def overview_charts_data(
    request: Request, actor: PortalUser, session: DbSession, platform: AppPlatform
) -> Response:
    """The figures of the steward overview's charts (every department's: the steward's view)."""
    if not sees_all(actor, Records.QUALITY_ISSUE):
        raise NotFound("no such page")
    return charts_answer(
        request, overview_charts(session, now=platform.clock.now(), zone=platform.settings.zone)
    )


@router.get("/quality/validation-runs/{run_id}/report")
def validation_report(
    request: Request, run_id: int, actor: PortalUser, session: DbSession
) -> Response:
    run = reports.visible_validation_run(session, run_id, actor)
    return offline_report(
        reports.validation_html(
            run,
            reports.shown_validation(run, actor, readable_by(request, actor)),
            language(request),
        )
    )


@router.get("/quality/comparison-runs/{run_id}/report")
def comparison_report(
    request: Request, run_id: int, actor: PortalUser, session: DbSession
) -> Response:
    run = reports.visible_comparison_run(session, run_id, actor)
    return offline_report(
        reports.comparison_html(
            run,
            reports.shown_comparison(run, actor, readable_by(request, actor)),
            language(request),
        )
    )


@router.get("/quality/issues/{issue_id}")
def issue_page(
    request: Request,
    issue_id: int,
    actor: PortalUser,
    session: DbSession,
    platform: AppPlatform,
    error: str | None = None,
) -> Response:
    issue = issues.get_issue(session, issue_id, actor)
    resource = session.get_one(Resource, issue.resource_id)
    department = session.get_one(Department, issue.department_id)
    own = actor.department_id == issue.department_id
    # What the workflow opens from this state to the actor's roles (from the action table).
    open_now = set(issues.QUALITY_ISSUE.actions_from(issue.state, actor.roles))
    found = reports.shown_findings(session, issue, actor, readable_by(request, actor))
    due = issues.answer_due(
        session, issue, now=platform.clock.now(), calendar=platform.calendar(session)
    )
    return render(
        request, "quality_issue.html", issue=issue, resource=resource, department=department,
        findings=found, due=due, unanswered=sum(1 for f in found if f["answer"] is None),
        events=history(session, subject_type="quality_issue", subject_id=issue.id),
        may_answer=own and "answer" in open_now,
        may_acknowledge=own and "acknowledge" in open_now,
        may_judge=bool({"verify", "close"} & open_now),
        kinds=[k for k in AnswerKind if k != AnswerKind.MIXED], error=error,
        unresolved=[str(s) for s in UNRESOLVED],
    )  # fmt: skip


@router.post("/quality/issues/{issue_id}/findings/answer")
def answer_findings(
    request: Request, issue_id: int, actor: PortalUser, form: FormLists, platform: AppPlatform
) -> Response:
    """The selected findings answered alike."""

    def answer(session: Any, env: Any) -> None:
        kind = AnswerKind(form.get("kind", [""])[0])
        text, evidence = form.get("text", [""])[0], form.get("evidence", [""])[0] or None
        refs = form.get("ref", [])
        findings.answer_findings(
            session, actor=actor, env=env, issue_id=issue_id,
            answers=[(ref, kind, text, evidence) for ref in refs],
        )  # fmt: skip

    refused = attempt(request, platform, answer)
    if refused:
        with platform.database.transaction() as session:
            return issue_page(request, issue_id, actor, session, platform, error=refused)
    return redirect(f"/quality/issues/{issue_id}", notice=say(request, "Saved"))


@router.get("/quality/issues/{issue_id}/findings.{sheet_format}")
def findings_sheet(
    request: Request, issue_id: int, sheet_format: str, actor: PortalUser, session: DbSession
) -> Response:
    if sheet_format not in SHEET_TYPES:
        raise NotFound("no findings sheet as {sheet_format}", sheet_format=sheet_format)
    issue = issues.get_issue(session, issue_id, actor)
    views = reports.shown_findings(session, issue, actor, readable_by(request, actor))
    lang = language(request)
    write = finding_sheets.findings_xlsx if sheet_format == "xlsx" else finding_sheets.findings_csv
    return Response(
        write(views, translations(lang).gettext, lang),
        media_type=SHEET_TYPES[sheet_format],
        headers={"Content-Disposition": f'attachment; filename="issue-{issue_id}.{sheet_format}"'},
    )


@router.post("/quality/issues/{issue_id}/findings/sheet")
async def upload_findings(
    request: Request, issue_id: int, actor: PortalUser, platform: AppPlatform
) -> Response:
    await checked_form(request)
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        refused: str | None = say(request, "Choose a file")
    else:
        content, filename = await upload.read(), upload.filename

        def take(session: Any, env: Any) -> None:
            issues.require_may_answer(session, actor, issue_id)
            answers = finding_sheets.read_answers(
                content, filename, [translations(lang).gettext for lang in LANGUAGES],
                max_rows=platform.settings.import_max_rows,
            )  # fmt: skip
            findings.answer_findings(
                session, actor=actor, env=env, issue_id=issue_id, answers=answers
            )

        refused = await run_in_threadpool(attempt, request, platform, take)
    if refused:
        with platform.database.transaction() as session:
            return await run_in_threadpool(
                issue_page, request, issue_id, actor, session, platform, refused
            )
    return redirect(f"/quality/issues/{issue_id}", notice=say(request, "Saved"))


@router.post("/quality/issues/{issue_id}/{action}")
def act(
    request: Request,
    issue_id: int,
    action: str,
    actor: PortalUser,
    form: Form,
    platform: AppPlatform,
) -> Response:
    refused = attempt(
        request, platform, lambda s, env: _take(s, actor, env, issue_id, action, form)
    )
    if refused:
        with platform.database.transaction() as session:
            return issue_page(request, issue_id, actor, session, platform, error=refused)
    return redirect(f"/quality/issues/{issue_id}", notice=say(request, "Saved"))


def _take(
    session: Any, actor: Any, env: Any, issue_id: int, action: str, form: dict[str, str]
) -> None:
    common = {"actor": actor, "env": env, "issue_id": issue_id}
    if action == "acknowledge":
        issues.acknowledge(session, **common)
    elif action == "answer":
        issues.answer(
            session, **common, kind=AnswerKind(form.get("kind", "")), text=form.get("text", ""),
            evidence=form.get("evidence") or None,
        )  # fmt: skip
    elif action == "verify":
        issues.verify(session, **common, note=form.get("note") or None)
    elif action == "return":
        issues.return_answer(session, **common, reason=form.get("reason", ""))
    elif action == "close":
        issues.close(session, **common, note=form.get("note") or None)
    else:
        raise InvalidInput("no action {action!r} on a quality issue", action=action)
