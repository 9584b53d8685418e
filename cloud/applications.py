"""Applying for cloud resources (R29) and the bureau's acceptance and approval (R30).

An application names the system, its construction plan, the self-test report, the signed
security responsibility letter, the responsible persons, the resource lines picked from one
provider's catalog, the project approval (its investment decides which document) or an existing
system's migration plan, and — what ties the cloud to sharing — the catalog entries the system
provides and uses and how it connects to the sharing platform.
"""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.entries import get_resource
from catalog.models import Resource
from catalog.vocab import ResourceStatus
from cloud.models import ApplicationLine, CloudApplication, ProviderService
from cloud.providers import get_provider
from cloud.vocab import ApplicationState, ApprovalDocument
from cloud.workflow import APPLICATION
from exchange.actions import ACTIONS, relation_of
from exchange.errors import InvalidInput, NotFound, PermissionDenied, not_found
from exchange.i18n import Message
from exchange.identity.visibility import Records, sees_all
from exchange.principal import Principal
from exchange.workflow import WorkflowEnvironment, take_action
from projects.models import Project

TEN_MILLION, FIFTY_MILLION = 10_000_000, 50_000_000
DOCUMENT_NAMES = {
    ApprovalDocument.IMPLEMENTATION_PLAN: Message("implementation plan"),
    ApprovalDocument.FEASIBILITY_STUDY: Message("feasibility study"),
    ApprovalDocument.PRELIMINARY_DESIGN: Message("preliminary design"),
    ApprovalDocument.MIGRATION_PLAN: Message("migration plan"),
}


@dataclass(frozen=True)
class Line:
    service_code: str
    quantity: int
    elastic_peak: int | None = None


@dataclass(frozen=True)
class ApplicationDraft:
    provider_id: int
    system_name: str
    construction_plan: str
    self_test_report: str
    security_letter_signed_by: str
    persons: dict[str, str]
    lines: list[Line]
    approval_document: ApprovalDocument
    approval_reference: str
    sharing_connection: str
    mlps_level: int
    provides: list[str] = field(default_factory=list)
    uses: list[str] = field(default_factory=list)
    project_id: int | None = None
    investment_yuan: int | None = None
    major: bool = False


def required_document(investment_yuan: int | None) -> ApprovalDocument:
    """R29: an existing system (no investment) brings its migration plan; a new project its
    implementation plan (under 10 M yuan), feasibility study (10-50 M) or preliminary design."""
    if investment_yuan is None:
        return ApprovalDocument.MIGRATION_PLAN
    if investment_yuan < TEN_MILLION:
        return ApprovalDocument.IMPLEMENTATION_PLAN
    if investment_yuan <= FIFTY_MILLION:
        return ApprovalDocument.FEASIBILITY_STUDY
    return ApprovalDocument.PRELIMINARY_DESIGN


def apply(
    session: Session, *, actor: Principal, env: WorkflowEnvironment, draft: ApplicationDraft
) -> CloudApplication:
    if actor.department_id is None:
        raise PermissionDenied("a unit's project officer applies for cloud resources")
    ACTIONS.require(actor, "provider", "cloud_application", "apply",
                    explain="a unit's project officer applies for cloud resources")  # fmt: skip
    provider = get_provider(session, draft.provider_id)
    investment = _investment(session, actor, draft)
    _check_form(draft, investment)
    _check_entries(session, actor.department_id, draft)
    services = {s.code: s for s in session.scalars(
        select(ProviderService).where(ProviderService.provider_id == provider.id))}  # fmt: skip
    _check_lines(draft.lines, services)
    application = CloudApplication(
        department_id=actor.department_id, provider_id=provider.id,
        system_name=draft.system_name.strip(), construction_plan=draft.construction_plan.strip(),
        self_test_report=draft.self_test_report.strip(),
        security_letter_signed_by=draft.security_letter_signed_by.strip(),
        persons=draft.persons, project_id=draft.project_id, investment_yuan=investment,
        approval_document=draft.approval_document,
        approval_reference=draft.approval_reference.strip(),
        provides=sorted(set(draft.provides)), uses=sorted(set(draft.uses)),
        sharing_connection=draft.sharing_connection.strip(), mlps_level=draft.mlps_level,
        major=draft.major, state=ApplicationState.SUBMITTED, submitted_at=env.now,
    )  # fmt: skip
    session.add(application)
    session.flush()
    for line in draft.lines:
        session.add(ApplicationLine(application_id=application.id,
                                    service_id=services[line.service_code].id,
                                    quantity=line.quantity, elastic_peak=line.elastic_peak))  # fmt: skip
    take_action(session, APPLICATION, application, "submit", actor=actor, env=env,
                detail={"system": application.system_name, "provider": provider.id,
                        "provides": application.provides, "uses": application.uses})  # fmt: skip
    return application


def _investment(session: Session, actor: Principal, draft: ApplicationDraft) -> int | None:
    """A linked project's investment is the register's, not what the form says."""
    if draft.project_id is None:
        return draft.investment_yuan
    project = session.get(Project, draft.project_id)
    if project is None or project.department_id != actor.department_id:
        raise not_found(project, "no project {project_id} of your unit",
                        project_id=draft.project_id)  # fmt: skip
    return project.total_investment


def _check_form(draft: ApplicationDraft, investment: int | None) -> None:
    missing = [name for name, value in (
        ("system_name", draft.system_name), ("construction_plan", draft.construction_plan),
        ("self_test_report", draft.self_test_report),
        ("security_letter_signed_by", draft.security_letter_signed_by),
        ("approval_reference", draft.approval_reference),
        ("sharing_connection", draft.sharing_connection),
    ) if not value.strip()]  # fmt: skip
    if missing or not draft.persons:
        raise InvalidInput(
            "the application lacks: {missing}",
            detail={"field": "application", "missing": missing or ["persons"]},
            missing=", ".join(missing or ["persons"]),
        )
    if not 1 <= draft.mlps_level <= 5:
        raise InvalidInput("the MLPS level is 1 to 5", detail={"field": "mlps_level"})
    needed = required_document(investment)
    if draft.approval_document != needed:
        raise InvalidInput(
            "with this investment the application attaches the {needed} (R29)",
            detail={"field": "approval_document", "required": needed},
            needed=DOCUMENT_NAMES[needed],
        )


def _check_entries(session: Session, department_id: int, draft: ApplicationDraft) -> None:
    """R29: the system's data, as published catalog entries: what it provides is its unit's."""
    if not draft.provides and not draft.uses:
        raise InvalidInput(
            "name the catalog entries the system provides or uses (R29)",
            detail={"field": "provides"},
        )
    for code in [*draft.provides, *draft.uses]:
        resource = _published(session, code)
        if code in draft.provides and resource.provider_department_id != department_id:
            raise InvalidInput(
                "{code} is another department's entry: the system can use it, not provide it",
                detail={"field": "provides", "code": code},
                code=code,
            )


def _published(session: Session, code: str) -> Resource:
    try:
        resource = get_resource(session, code)
    except NotFound as error:
        raise InvalidInput("no catalog entry {code}", detail={"field": "provides"},
                           code=code) from error  # fmt: skip
    if resource.status != ResourceStatus.PUBLISHED:
        raise InvalidInput("catalog entry {code} is not published", detail={"field": "provides"},
                           code=code)  # fmt: skip
    return resource


def _check_lines(lines: list[Line], services: dict[str, ProviderService]) -> None:
    if not lines:
        raise InvalidInput("ask for at least one resource", detail={"field": "lines"})
    unknown = sorted({line.service_code for line in lines} - set(services))
    if unknown:
        raise InvalidInput(
            "not in the provider's catalog: {unknown}",
            detail={"field": "lines", "unknown": unknown},
            unknown=", ".join(unknown),
        )
    for line in lines:
        if line.quantity < 1 or (
            line.elastic_peak is not None and line.elastic_peak < line.quantity
        ):
            raise InvalidInput(
                "a line asks for at least one unit, and its elastic peak is not below it",
                detail={"field": "lines", "service": line.service_code},
            )


def get_application(session: Session, application_id: int, actor: Principal) -> CloudApplication:
    """An application, for its unit and the bureau's cloud staff; 404 for others."""
    application = session.get(CloudApplication, application_id)
    if application is None or not (
        actor.department_id == application.department_id or sees_all(actor, Records.CLOUD)
    ):
        raise not_found(application, "no cloud application {application_id}",
                        application_id=application_id)  # fmt: skip
    return application


def visible(session: Session, actor: Principal) -> list[CloudApplication]:
    query = select(CloudApplication).order_by(CloudApplication.id.desc())
    if not sees_all(actor, Records.CLOUD):
        query = query.where(CloudApplication.department_id == actor.department_id)
    return list(session.scalars(query.limit(500)))


def decide(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    application_id: int,
    action: str,
    reason: str,
) -> CloudApplication:
    """The bureau accepts, refuses (with reasons) or approves (with its opinion) (R30); the
    unit resubmits a refused application."""
    application = get_application(session, application_id, actor)
    relation = relation_of(actor, provider_id=application.department_id)
    if action == "resubmit":
        ACTIONS.require(actor, relation, "cloud_application", "apply",
                        explain="the unit resubmits its own application")  # fmt: skip
    elif action in ("accept", "refuse", "approve"):
        ACTIONS.require(actor, relation, "cloud_application", "review",
                        explain="the bureau's cloud reviewers decide applications")  # fmt: skip
    else:
        raise InvalidInput("no action {action!r} on a cloud application", action=action)
    if action in ("refuse", "approve") and not reason.strip():
        raise InvalidInput("a refusal gives its reasons and an approval its opinion (R30)",
                           detail={"field": "reason"})  # fmt: skip
    take_action(session, APPLICATION, application, action, actor=actor, env=env, comment=reason)
    if action == "refuse":
        application.refusal = reason.strip()
    elif action == "approve":
        application.approval_opinion = reason.strip()
    return application
