"""Data quality over HTTP (R18, R19): suites and steward checks, validation and comparison runs
with their reports, quality issues and their answers, and the steward overview."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, UploadFile, status
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from catalog.entries import get_resource
from exchange.data_status import DataStatus
from exchange.errors import NotFound, PermissionDenied
from exchange.identity.visibility import Records, own_only, sees_all
from exchange.spreadsheets import CSV_TYPE, XLSX_TYPE
from exchange.workflow.engine import history
from exchange_api.deps import AppPlatform, CurrentPrincipal, DbSession, ReadableItems
from exchange_api.errors import ERROR_RESPONSES, api_language, documented_as
from exchange_api.middleware import offline_report
from exchange_api.portal.i18n import LANGUAGES, translations
from exchange_api.schemas.common import WorkflowStep
from exchange_api.schemas.quality import (
    Answer,
    Blocking,
    CheckPublic,
    ComparisonPublic,
    ComparisonReport,
    DataStatusPublic,
    ExpectationBlocking,
    ExpectationCreate,
    ExpectationPublic,
    FindingsAnswer,
    FindingsPage,
    IssueAnswered,
    IssueDetail,
    IssuePublic,
    LastValidation,
    Note,
    Reason,
    StewardOverview,
    SuitePublic,
    ValidationReport,
    ValidationSummary,
)
from quality import comparisons, expectations, finding_sheets, findings, issues, reports
from quality.comparisons import ComparisonDraft
from quality.models import (
    Comparison,
    QualityIssue,
    ValidationRun,
)
from quality.validation import suite_for, validate_snapshot
from quality.vocab import IssueState

router = APIRouter(prefix="/api/v1/quality", tags=["quality"], responses=ERROR_RESPONSES)
RESOURCE = "/resources/{classification}/{sequence}"


@router.get(RESOURCE + "/suite", summary="The expectation suite of a resource")
def get_suite(
    classification: str, sequence: str, session: DbSession, _: CurrentPrincipal
) -> SuitePublic:
    resource = get_resource(session, f"{classification}/{sequence}")
    return SuitePublic(
        resource=resource.code,
        checks=[
            CheckPublic(check=c.name, kind=c.kind, columns=list(c.columns), params=c.params,
                        blocking=c.blocking, origin=c.origin, description=c.describe())
            for c in suite_for(session, resource)
        ],
    )  # fmt: skip


@router.post(
    RESOURCE + "/expectations", status_code=status.HTTP_201_CREATED,
    summary="Add a steward's check to a resource's suite",
)  # fmt: skip
def add_expectation(
    classification: str, sequence: str, body: ExpectationCreate, session: DbSession,
    platform: AppPlatform, actor: CurrentPrincipal,
) -> ExpectationPublic:  # fmt: skip
    expectation = expectations.add_expectation(
        session, actor=actor, now=platform.clock.now(), code=f"{classification}/{sequence}",
        **body.model_dump(),
    )  # fmt: skip
    return ExpectationPublic(id=expectation.id, **body.model_dump())


@router.patch("/expectations/{expectation_id}", summary="Make a steward's check blocking or not")
def set_blocking(
    expectation_id: int, body: Blocking, session: DbSession, platform: AppPlatform,
    actor: CurrentPrincipal,
) -> ExpectationBlocking:  # fmt: skip
    expectation = expectations.set_blocking(
        session, actor=actor, now=platform.clock.now(), expectation_id=expectation_id,
        blocking=body.blocking,
    )  # fmt: skip
    return ExpectationBlocking(id=expectation.id, blocking=expectation.blocking)


@router.delete(
    "/expectations/{expectation_id}", status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a steward's check (kept in history)",
)  # fmt: skip
def remove_expectation(
    expectation_id: int, session: DbSession, platform: AppPlatform, actor: CurrentPrincipal
) -> None:
    expectations.remove_expectation(
        session, actor=actor, now=platform.clock.now(), expectation_id=expectation_id
    )


@router.post(RESOURCE + "/validate", status_code=status.HTTP_201_CREATED, summary="Validate now")
def validate_now(
    classification: str, sequence: str, platform: AppPlatform, actor: CurrentPrincipal,
    readable: ReadableItems,
    snapshot_id: Annotated[int | None, Query(description="The current snapshot by default")] = None,
) -> ValidationReport:  # fmt: skip
    run = validate_snapshot(
        platform, code=f"{classification}/{sequence}", snapshot_id=snapshot_id, actor=actor
    )
    return ValidationReport.model_validate(
        reports.validation_json(run, reports.shown_validation(run, actor, readable))
    )


@router.get(RESOURCE + "/status", summary="Whether a resource is quarantined or under verification")
def data_status(
    classification: str, sequence: str, session: DbSession, _: CurrentPrincipal
) -> DataStatusPublic:
    resource = get_resource(session, f"{classification}/{sequence}")
    status_row = session.get(DataStatus, resource.code)
    last = session.scalar(
        select(ValidationRun).where(ValidationRun.resource_id == resource.id)
        .order_by(ValidationRun.id.desc()).limit(1)
    )  # fmt: skip
    open_issues = status_row.open_issues if status_row else 0
    quarantined = status_row.quarantined_snapshot_id if status_row else None
    return DataStatusPublic(
        resource=resource.code,
        under_verification=open_issues > 0,
        open_issues=open_issues,
        quarantined_snapshot_id=quarantined,
        serving_snapshot_id=status_row.fallback_snapshot_id if status_row and quarantined else None,
        quarantine_reason=status_row.quarantine_reason if status_row else None,
        last_validation=None if last is None else LastValidation(
            run=last.id, snapshot_id=last.snapshot_id, passed=last.passed,
            finished_at=last.finished_at,
        ),
    )  # fmt: skip


@router.get(RESOURCE + "/validation-runs", summary="Validation runs of a resource, newest first")
def list_validation_runs(
    classification: str, sequence: str, session: DbSession, actor: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[ValidationSummary]:  # fmt: skip
    resource = get_resource(session, f"{classification}/{sequence}")
    if not reports.may_see_runs(actor, resource.provider_department_id):
        raise NotFound("no validation runs of {code} for you", code=resource.code)
    runs = session.scalars(
        select(ValidationRun).where(ValidationRun.resource_id == resource.id)
        .order_by(ValidationRun.id.desc()).limit(limit)
    )  # fmt: skip
    return [
        ValidationSummary(
            run=r.id, snapshot_id=r.snapshot_id, trigger=r.trigger, passed=r.passed,
            blocking_failed=r.blocking_failed, failed_checks=r.failed_checks,
            finished_at=r.finished_at, report=f"/api/v1/quality/validation-runs/{r.id}/report",
        )
        for r in runs
    ]  # fmt: skip


@router.get("/validation-runs/{run_id}", summary="A validation run's report as JSON")
def validation_run(
    run_id: int, session: DbSession, actor: CurrentPrincipal, readable: ReadableItems
) -> ValidationReport:
    run = reports.visible_validation_run(session, run_id, actor)
    return ValidationReport.model_validate(
        reports.validation_json(run, reports.shown_validation(run, actor, readable))
    )


@router.get(
    "/validation-runs/{run_id}/report", summary="… as HTML", responses=documented_as("text/html")
)
def validation_report(
    request: Request,
    run_id: int,
    session: DbSession,
    actor: CurrentPrincipal,
    readable: ReadableItems,
) -> HTMLResponse:
    run = reports.visible_validation_run(session, run_id, actor)
    shown = reports.shown_validation(run, actor, readable)
    return offline_report(reports.validation_html(run, shown, api_language(request)))


@router.post(
    "/comparisons", status_code=status.HTTP_201_CREATED, summary="Define a comparison (R18)"
)
def create_comparison(
    body: ComparisonDraft, session: DbSession, platform: AppPlatform, actor: CurrentPrincipal
) -> ComparisonPublic:
    comparison = comparisons.create_comparison(
        session, actor=actor, now=platform.clock.now(), draft=body
    )
    return ComparisonPublic.model_validate(comparison, from_attributes=True)


@router.get("/comparisons", summary="Comparisons")
def list_comparisons(session: DbSession, _: CurrentPrincipal) -> list[ComparisonPublic]:
    found = session.scalars(
        select(Comparison).where(Comparison.retired_at.is_(None)).order_by(Comparison.id)
    )
    return [ComparisonPublic.model_validate(c, from_attributes=True) for c in found]


@router.post(
    "/comparisons/{comparison_id}/runs", status_code=status.HTTP_201_CREATED,
    summary="Run a comparison on the current snapshots",
)  # fmt: skip
def run_comparison(
    comparison_id: int, platform: AppPlatform, actor: CurrentPrincipal, readable: ReadableItems
) -> ComparisonReport:
    run = comparisons.run_comparison(platform, comparison_id=comparison_id, actor=actor)
    return ComparisonReport.model_validate(
        reports.comparison_json(run, reports.shown_comparison(run, actor, readable))
    )


@router.get("/comparison-runs/{run_id}", summary="A comparison run's report as JSON")
def comparison_run(
    run_id: int, session: DbSession, actor: CurrentPrincipal, readable: ReadableItems
) -> ComparisonReport:
    run = reports.visible_comparison_run(session, run_id, actor)
    return ComparisonReport.model_validate(
        reports.comparison_json(run, reports.shown_comparison(run, actor, readable))
    )


@router.get(
    "/comparison-runs/{run_id}/report", summary="… as HTML", responses=documented_as("text/html")
)
def comparison_report(
    request: Request,
    run_id: int,
    session: DbSession,
    actor: CurrentPrincipal,
    readable: ReadableItems,
) -> HTMLResponse:
    run = reports.visible_comparison_run(session, run_id, actor)
    shown = reports.shown_comparison(run, actor, readable)
    return offline_report(reports.comparison_html(run, shown, api_language(request)))


@router.get("/issues", summary="Quality issues: my department's, or all for the bureau")
def list_issues(
    session: DbSession, actor: CurrentPrincipal,
    state: Annotated[IssueState | None, Query()] = None,
) -> list[IssuePublic]:  # fmt: skip
    query = select(QualityIssue).order_by(QualityIssue.id.desc())
    mine = own_only(actor, Records.QUALITY_ISSUE, QualityIssue.department_id)
    if mine is not None:
        query = query.where(mine)
    if state is not None:
        query = query.where(QualityIssue.state == state)
    return [
        IssuePublic.model_validate(issues.issue_view(i)) for i in session.scalars(query.limit(500))
    ]


@router.get("/issues/{issue_id}", summary="A quality issue with its rows and history")
def get_issue(
    issue_id: int, session: DbSession, actor: CurrentPrincipal, readable: ReadableItems
) -> IssueDetail:
    issue = issues.get_issue(session, issue_id, actor)
    events = history(session, subject_type="quality_issue", subject_id=issue.id)
    return IssueDetail.model_validate({
        **issues.issue_view(issue),
        "rows": reports.shown_issue_rows(session, issue, actor, readable),
        "history": [WorkflowStep.of(event) for event in events],
    })  # fmt: skip


@router.get(
    "/issues/{issue_id}/findings",
    summary="An issue's findings, each with its row's key and name and its answer, and the deadline",
)
def get_findings(
    issue_id: int,
    session: DbSession,
    platform: AppPlatform,
    actor: CurrentPrincipal,
    readable: ReadableItems,
) -> FindingsPage:
    issue = issues.get_issue(session, issue_id, actor)
    due = issues.answer_due(
        session, issue, now=platform.clock.now(), calendar=platform.calendar(session)
    )
    shown = reports.shown_findings(session, issue, actor, readable)
    return FindingsPage.model_validate({
        "issue": issues.issue_view(issue),
        "due": due,
        "unanswered": sum(1 for f in shown if f["answer"] is None),
        "findings": shown,
    })  # fmt: skip


@router.post(
    "/issues/{issue_id}/findings/answer",
    summary="Answer the selected findings alike; the issue is answered once every finding is",
)
def answer_findings(
    issue_id: int,
    body: FindingsAnswer,
    session: DbSession,
    platform: AppPlatform,
    actor: CurrentPrincipal,
) -> IssueAnswered:
    env = platform.workflow_environment(session)
    issue = findings.answer_findings(
        session, actor=actor, env=env, issue_id=issue_id,
        answers=[(ref, body.kind, body.text, body.evidence) for ref in body.refs],
    )  # fmt: skip
    return IssueAnswered.model_validate(
        {**issues.issue_view(issue), "unanswered": findings.unanswered(session, issue)}
    )


SHEET_TYPES = {"xlsx": XLSX_TYPE, "csv": CSV_TYPE}


@router.get(
    "/issues/{issue_id}/findings/sheet",
    summary="The findings as a spreadsheet to answer offline and upload back",
    responses=documented_as(XLSX_TYPE, CSV_TYPE),
)
def findings_sheet(
    issue_id: int,
    session: DbSession,
    actor: CurrentPrincipal,
    readable: ReadableItems,
    sheet_format: Annotated[str, Query(alias="format", pattern="^(xlsx|csv)$")] = "xlsx",
    lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh",
) -> Response:
    issue = issues.get_issue(session, issue_id, actor)
    views = reports.shown_findings(session, issue, actor, readable)
    translate = translations(lang).gettext
    write = finding_sheets.findings_xlsx if sheet_format == "xlsx" else finding_sheets.findings_csv
    return Response(
        write(views, translate, lang),
        media_type=SHEET_TYPES[sheet_format],
        headers={"Content-Disposition": f'attachment; filename="issue-{issue_id}.{sheet_format}"'},
    )


@router.post(
    "/issues/{issue_id}/findings/sheet",
    summary="Upload the answered findings sheet: every answer in it is taken, or none",
)
def upload_findings_sheet(
    issue_id: int,
    file: UploadFile,
    session: DbSession,
    platform: AppPlatform,
    actor: CurrentPrincipal,
) -> IssueAnswered:
    issues.require_may_answer(session, actor, issue_id)  # before the file is read
    answers = finding_sheets.read_answers(
        file.file.read(), file.filename or "upload.csv",
        [translations(lang).gettext for lang in LANGUAGES],
        max_rows=platform.settings.import_max_rows,
    )  # fmt: skip
    env = platform.workflow_environment(session)
    issue = findings.answer_findings(
        session, actor=actor, env=env, issue_id=issue_id, answers=answers
    )
    return IssueAnswered.model_validate({
        **issues.issue_view(issue),
        "answered": len(answers),
        "unanswered": findings.unanswered(session, issue),
    })  # fmt: skip


@router.post("/issues/{issue_id}/acknowledge", summary="Acknowledge an issue")
def acknowledge(
    issue_id: int, session: DbSession, platform: AppPlatform, actor: CurrentPrincipal
) -> IssuePublic:
    env = platform.workflow_environment(session)
    return IssuePublic.model_validate(
        issues.issue_view(issues.acknowledge(session, actor=actor, env=env, issue_id=issue_id))
    )


@router.post(
    "/issues/{issue_id}/answer", summary="Answer: corrected, confirmed with evidence, or disputed"
)
def answer(
    issue_id: int, body: Answer, session: DbSession, platform: AppPlatform, actor: CurrentPrincipal
) -> IssuePublic:
    env = platform.workflow_environment(session)
    issue = issues.answer(
        session, actor=actor, env=env, issue_id=issue_id, kind=body.kind, text=body.text,
        evidence=body.evidence,
    )  # fmt: skip
    return IssuePublic.model_validate(issues.issue_view(issue))


@router.post("/issues/{issue_id}/return", summary="Return an answer that does not settle the issue")
def return_answer(
    issue_id: int, body: Reason, session: DbSession, platform: AppPlatform, actor: CurrentPrincipal
) -> IssuePublic:
    env = platform.workflow_environment(session)
    return IssuePublic.model_validate(
        issues.issue_view(
            issues.return_answer(
                session, actor=actor, env=env, issue_id=issue_id, reason=body.reason
            )
        )
    )


@router.post("/issues/{issue_id}/verify", summary="Accept an answer")
def verify(
    issue_id: int,
    session: DbSession,
    platform: AppPlatform,
    actor: CurrentPrincipal,
    body: Note | None = None,
) -> IssuePublic:
    env = platform.workflow_environment(session)
    return IssuePublic.model_validate(
        issues.issue_view(
            issues.verify(
                session, actor=actor, env=env, issue_id=issue_id, note=body.note if body else None
            )
        )
    )


@router.post("/issues/{issue_id}/close", summary="Close a verified issue")
def close(
    issue_id: int,
    session: DbSession,
    platform: AppPlatform,
    actor: CurrentPrincipal,
    body: Note | None = None,
) -> IssuePublic:
    env = platform.workflow_environment(session)
    return IssuePublic.model_validate(
        issues.issue_view(
            issues.close(
                session, actor=actor, env=env, issue_id=issue_id, note=body.note if body else None
            )
        )
    )


@router.get(
    "/overview", summary="The steward overview: pass rates, open issues by department and age"
)
def overview(
    request: Request, session: DbSession, platform: AppPlatform, actor: CurrentPrincipal
) -> StewardOverview:
    if not sees_all(actor, Records.QUALITY_ISSUE):
        raise PermissionDenied(
            "the overview is for the bureau's stewards", detail={"required_roles": ["data_steward"]}
        )
    return StewardOverview.model_validate(reports.steward_overview(
        session, now=platform.clock.now(), calendar=platform.calendar(session),
        language=api_language(request),
    ))  # fmt: skip
