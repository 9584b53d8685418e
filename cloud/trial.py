"""Trial and go-live (R31): the trial runs from the opening of the resources; a major system's
trial may be extended, at most by the profile's limit in all, on an expert opinion; the unit files
its test report (a third party's too at MLPS level 3 and above); the bureau passes it into
production, whose MLPS assessment then falls due, or sends it back to rectify and refile."""

from sqlalchemy.orm import Session

from cloud.applications import get_application
from cloud.models import MLPS, TRIAL, CloudApplication
from cloud.vocab import ApprovalDocument
from cloud.workflow import APPLICATION
from exchange import audit
from exchange.actions import ACTIONS, relation_of
from exchange.deadlines.service import extend_deadline, find_open_deadline, stop_deadline
from exchange.errors import Conflict, InvalidInput
from exchange.principal import Principal
from exchange.workdays.spans import TimeUnit, deadline_after
from exchange.workflow import WorkflowEnvironment, take_action

THIRD_PARTY_FROM_LEVEL = 3


def extend_trial(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    application_id: int,
    days: int,
    expert_opinion: str,
) -> CloudApplication:
    application = _acting(session, actor, application_id, "extend_trial",
                          "the bureau's cloud reviewers extend a trial")  # fmt: skip
    if not application.major:
        raise Conflict("only a major system's trial is extended (R31)")
    if not expert_opinion.strip():
        raise InvalidInput("an extension rests on an expert opinion (R31)",
                           detail={"field": "expert_opinion"})  # fmt: skip
    limit = env.settings.deadline_span("cloud_trial_extension_limit")
    allowed = limit.amount if limit.unit == TimeUnit.DAYS else 30
    if days < 1 or application.trial_extended_days + days > allowed:
        raise InvalidInput(
            "a trial is extended by at most {allowed} days in all; {used} are used",
            detail={"field": "days", "allowed": allowed, "used": application.trial_extended_days},
            allowed=allowed,
            used=application.trial_extended_days,
        )
    trial = find_open_deadline(session, kind=TRIAL, subject_type="cloud_application",
                               subject_id=application.id)  # fmt: skip
    if trial is None or trial.unit != TimeUnit.DAYS:
        raise Conflict("cloud application {id} is not in its trial", id=application.id)
    extend_deadline(trial, extra=days, calendar=env.calendar)
    application.trial_extended_days += days
    audit.record(session, at=env.now, actor=actor, action="cloud.trial.extend",
                 object_type="cloud_application", object_id=application.id,
                 detail={"days": days, "trial_ends": trial.due_date.isoformat(),
                         "opinion": expert_opinion})  # fmt: skip
    return application


def file_test(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    application_id: int,
    report: str,
    third_party_report: str | None = None,
) -> CloudApplication:
    application = _acting(session, actor, application_id, "file_test",
                          "the unit files its own test report")  # fmt: skip
    if not report.strip():
        raise InvalidInput("file the test of function, performance and security (R31)",
                           detail={"field": "report"})  # fmt: skip
    if application.mlps_level >= THIRD_PARTY_FROM_LEVEL and not (third_party_report or "").strip():
        raise InvalidInput(
            "a system at MLPS level {level} files a third party's test report too (R31)",
            detail={"field": "third_party_report"},
            level=application.mlps_level,
        )
    action = "file_test" if application.state == "trial" else "refile_test"
    take_action(session, APPLICATION, application, action, actor=actor, env=env, comment=report)
    application.test_report, application.third_party_report = report, third_party_report
    return application


def review_test(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    application_id: int,
    passed: bool,
    note: str,
) -> CloudApplication:
    application = _acting(session, actor, application_id, "review_test",
                          "the bureau's cloud reviewers review test reports")  # fmt: skip
    if not note.strip():
        raise InvalidInput("the review states its finding", detail={"field": "note"})
    take_action(session, APPLICATION, application, "pass_test" if passed else "fail_test",
                actor=actor, env=env, comment=note)  # fmt: skip
    application.test_review = note.strip()
    if passed:
        application.production_at = env.now
        mlps = find_open_deadline(session, kind=MLPS, subject_type="cloud_application",
                                  subject_id=application.id)  # fmt: skip
        application.mlps_due = mlps.due_date if mlps else None
        if application.approval_document == ApprovalDocument.MIGRATION_PLAN:
            kept = env.settings.deadline_span("cloud_fallback")
            application.fallback_until = deadline_after(env.now, kept, env.calendar).due_date
    return application


def _acting(
    session: Session, actor: Principal, application_id: int, action: str, explain: str
) -> CloudApplication:
    application = get_application(session, application_id, actor)
    ACTIONS.require(actor, relation_of(actor, provider_id=application.department_id),
                    "cloud_application", action, explain=explain)  # fmt: skip
    return application


def file_mlps(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    application_id: int,
    report: str,
) -> CloudApplication:
    """The unit files its system's MLPS assessment, due 6 months after going live (R31)."""
    application = _acting(session, actor, application_id, "file_test",
                          "the unit files its own system's assessment")  # fmt: skip
    if not report.strip():
        raise InvalidInput("name the assessment report and its conclusion",
                           detail={"field": "report"})  # fmt: skip
    due = find_open_deadline(session, kind=MLPS, subject_type="cloud_application",
                             subject_id=application.id)  # fmt: skip
    if due is None:
        raise Conflict("cloud application {id} has no MLPS assessment due", id=application.id)
    stop_deadline(due, now=env.now)
    application.mlps_report, application.mlps_filed_at = report.strip(), env.now
    audit.record(session, at=env.now, actor=actor, action="cloud.mlps.file",
                 object_type="cloud_application", object_id=application.id,
                 detail={"on_time": env.now < due.due_at})  # fmt: skip
    return application
