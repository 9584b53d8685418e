"""Quality pages: the steward overview (pass rates, open issues by department and age, recent
comparison runs with their reports) and a quality issue's page, where the responsible department
answers with a correction or evidence and the steward verifies and closes."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from catalog.models import Resource
from exchange.errors import InvalidInput
from exchange.identity.models import Department
from exchange.identity.roles import Role
from exchange.workflow.engine import history
from exchange_api.deps import AppPlatform, DbSession, readable_by
from exchange_api.middleware import offline_report
from exchange_api.portal.web import Form, PortalUser, attempt, redirect, render
from quality import issues, reports
from quality.issues import UNRESOLVED
from quality.models import QualityIssue
from quality.vocab import AnswerKind, IssueState

router = APIRouter(include_in_schema=False)
BUREAU_VIEW = (Role.DATA_STEWARD, Role.BUREAU_ADMIN, Role.AUDITOR, Role.COORDINATING_OFFICE)


@router.get("/quality")
def overview(
    request: Request, user: PortalUser, session: DbSession, platform: AppPlatform
) -> Response:
    if not user.has_any(*BUREAU_VIEW):
        mine = session.scalars(
            select(QualityIssue)
            .where(QualityIssue.department_id == user.department_id)
            .order_by(QualityIssue.id.desc())
            .limit(200)
        ).all()
        return render(request, "quality_mine.html", issues=mine)
    summary = reports.steward_overview(
        session, now=platform.clock.now(), calendar=platform.calendar(session)
    )
    return render(request, "quality_overview.html", summary=summary)


@router.get("/quality/validation-runs/{run_id}/report")
def validation_report(
    request: Request, run_id: int, user: PortalUser, session: DbSession
) -> Response:
    run = reports.visible_validation_run(session, run_id, user)
    return offline_report(
        reports.validation_html(
            run, reports.shown_validation(run, user, readable_by(request, user))
        )
    )


@router.get("/quality/comparison-runs/{run_id}/report")
def comparison_report(
    request: Request, run_id: int, user: PortalUser, session: DbSession
) -> Response:
    run = reports.visible_comparison_run(session, run_id, user)
    return offline_report(
        reports.comparison_html(
            run, reports.shown_comparison(run, user, readable_by(request, user))
        )
    )


@router.get("/quality/issues/{issue_id}")
def issue_page(
    request: Request, issue_id: int, user: PortalUser, session: DbSession, error: str | None = None
) -> Response:
    issue = issues.get_issue(session, issue_id, user)
    resource = session.get_one(Resource, issue.resource_id)
    department = session.get_one(Department, issue.department_id)
    own = user.department_id == issue.department_id
    return render(
        request, "quality_issue.html", issue=issue, resource=resource, department=department,
        rows=reports.shown_issue_rows(session, issue, user, readable_by(request, user)),
        events=history(session, subject_type="quality_issue", subject_id=issue.id),
        may_answer=own and user.has_any(Role.DATA_RESOURCE_ADMIN)
        and issue.state in (IssueState.OPEN, IssueState.ACKNOWLEDGED),
        may_acknowledge=own and user.has_any(Role.DATA_RESOURCE_ADMIN) and issue.state == IssueState.OPEN,
        may_judge=user.has_any(Role.DATA_STEWARD) and issue.state in (IssueState.ANSWERED, IssueState.VERIFIED),
        kinds=list(AnswerKind), error=error, unresolved=[str(s) for s in UNRESOLVED],
    )  # fmt: skip


@router.post("/quality/issues/{issue_id}/{action}")
def act(
    request: Request,
    issue_id: int,
    action: str,
    user: PortalUser,
    form: Form,
    platform: AppPlatform,
) -> Response:
    refused = attempt(request, platform, lambda s, env: _take(s, user, env, issue_id, action, form))
    if refused:
        with platform.database.transaction() as session:
            return issue_page(request, issue_id, user, session, error=refused)
    return redirect(f"/quality/issues/{issue_id}", notice="已保存 / Saved")


def _take(
    session: Any, user: Any, env: Any, issue_id: int, action: str, form: dict[str, str]
) -> None:
    common = {"actor": user, "env": env, "issue_id": issue_id}
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
        raise InvalidInput(f"no action {action!r} on a quality issue")
