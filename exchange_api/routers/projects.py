"""Information-system projects over HTTP (R24-R28): proposals and the plan, the application and
its review, acceptance with the sharing veto, evaluation, and the funding flags."""

from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile, status
from sqlalchemy import select

from exchange.errors import PermissionDenied
from exchange.identity.visibility import Records, sees_all
from exchange_api.deps import AppPlatform, CurrentPrincipal, DbSession
from exchange_api.errors import ERROR_RESPONSES, api_language
from exchange_api.schemas.projects import (
    ChangePublic,
    ChangeRequest,
    Commitment,
    Decision,
    DocumentPublic,
    DuplicatePublic,
    Evaluation,
    ExpertProfile,
    Experts,
    FundingDecision,
    FundingFlagPublic,
    GapPublic,
    Inclusion,
    Note,
    Opinion,
    PlanPublic,
    ProjectCreate,
    ProjectDetail,
    ProjectForm,
    ProjectPublic,
    SharingCheckPublic,
    SharingLinePublic,
    SharingList,
    Tender,
    VetoPublic,
)
from projects import (
    acceptance,
    applications,
    changes,
    funding,
    register,
    reviews,
    sharing_check,
)
from projects.applications import DocumentStore
from projects.models import Project, ProjectDocument, SharingCheck

router = APIRouter(prefix="/api/v1/projects", tags=["projects"], responses=ERROR_RESPONSES)
PROJECT = "/{project_id}"


def _store(platform: AppPlatform) -> DocumentStore:
    return DocumentStore(platform.settings.data_dir / "project-documents")


def _detail(session: DbSession, project: Project, language: str) -> ProjectDetail:
    documents = session.scalars(
        select(ProjectDocument).where(ProjectDocument.project_id == project.id)
        .order_by(ProjectDocument.id)
    )  # fmt: skip
    return ProjectDetail(
        **ProjectPublic.model_validate(project).model_dump(),
        sharing_list=[SharingLinePublic.model_validate(line)
                      for line in applications.lines_of(session, project)],
        documents=[DocumentPublic.model_validate(d) for d in documents],
        gaps=[GapPublic(field=g.field, message=g.message.in_language(language))
              for g in applications.gaps(session, project)],
        duplicates=[DuplicatePublic(**f.__dict__)
                    for f in applications.duplicate_flags(session, project)],
    )  # fmt: skip


def _check(check: SharingCheck, language: str) -> SharingCheckPublic:
    return SharingCheckPublic(
        id=check.id, project_id=check.project_id, checked_at=check.checked_at, passed=check.passed,
        findings=[VetoPublic(veto=f["veto"], line=f["line"], resource=f["resource"],
                             link=f["link"], message=sharing_check.explain(f, language))
                  for f in check.findings],
    )  # fmt: skip


@router.get("", summary="Projects: my department's, the ones assigned to me, or all for the bureau")
def list_projects(actor: CurrentPrincipal, session: DbSession) -> list[ProjectPublic]:
    return [ProjectPublic.model_validate(p) for p in register.visible(session, actor)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Propose a project (R24)")
def propose(
    body: ProjectCreate, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> ProjectPublic:
    project = register.propose(
        session, actor=actor, now=platform.clock.now(), settings=platform.settings,
        name=body.name, plan_year=body.plan_year, urgent_approval=body.urgent_approval,
        upgrades_project_id=body.upgrades_project_id,
    )  # fmt: skip
    return ProjectPublic.model_validate(project)


# Before the project routes: /spot-checks and /funding-flags are not project ids.
@router.get("/spot-checks", summary="Projects running a year since acceptance, to spot-check (R28)")
def spot_checks(
    actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> list[ProjectPublic]:
    today = platform.clock.now().astimezone(platform.settings.zone).date()
    return [ProjectPublic.model_validate(p)
            for p in acceptance.spot_checks(session, actor=actor, today=today)]  # fmt: skip


@router.get("/funding-flags", summary="Units whose funds are withheld for a shrunk catalog (R27)")
def funding_flags(actor: CurrentPrincipal, session: DbSession) -> list[FundingFlagPublic]:
    if not sees_all(actor, Records.PROJECT):
        raise PermissionDenied("the funding flags are for the bureau and the finance office")
    return [FundingFlagPublic.model_validate(f) for f in funding.open_flags(session)]


@router.post("/funding-flags/{flag_id}/decision",
             summary="The finance office decides whether the funds are withheld (R27)")  # fmt: skip
def decide_funding(
    flag_id: int, body: FundingDecision, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> FundingFlagPublic:  # fmt: skip
    flag = funding.decide(session, actor=actor, now=platform.clock.now(), flag_id=flag_id,
                          withhold=body.withhold, note=body.note)  # fmt: skip
    return FundingFlagPublic.model_validate(flag)


@router.get(PROJECT, summary="A project with its sharing list, documents, gaps and R8 flags")
def get_project(
    request: Request, project_id: int, actor: CurrentPrincipal, session: DbSession
) -> ProjectDetail:
    return _detail(session, register.get_project(session, project_id, actor), api_language(request))


@router.put(PROJECT + "/form", summary="The application form (R25)")
def fill_form(
    request: Request, project_id: int, body: ProjectForm, actor: CurrentPrincipal,
    session: DbSession, platform: AppPlatform,
) -> ProjectDetail:  # fmt: skip
    project = applications.fill_form(
        session, actor=actor, now=platform.clock.now(), project_id=project_id,
        investment=body.investment, funding=body.funding,
        construction_months=body.construction_months, persons=body.persons,
    )  # fmt: skip
    return _detail(session, project, api_language(request))


@router.put(PROJECT + "/sharing-list", summary="The resource-sharing list, whole (R25)")
def set_sharing_list(
    request: Request, project_id: int, body: SharingList, actor: CurrentPrincipal,
    session: DbSession, platform: AppPlatform,
) -> ProjectDetail:  # fmt: skip
    applications.set_sharing_list(
        session, actor=actor, now=platform.clock.now(), project_id=project_id,
        lines=[line.model_dump() for line in body.lines],
    )  # fmt: skip
    return _detail(session, register.get_project(session, project_id, actor), api_language(request))


@router.post(PROJECT + "/documents", status_code=status.HTTP_201_CREATED,
             summary="File a document; kept as uploaded, with its SHA-256")  # fmt: skip
def attach_document(
    project_id: int, kind: Annotated[str, Form()], file: UploadFile, actor: CurrentPrincipal,
    session: DbSession, platform: AppPlatform,
) -> DocumentPublic:  # fmt: skip
    register.acting_on(session, actor, project_id, "file")  # before the file is read
    document = applications.attach_document(
        session, actor=actor, now=platform.clock.now(), project_id=project_id, kind=kind,
        filename=file.filename or "document", content=file.file.read(), store=_store(platform),
    )  # fmt: skip
    return DocumentPublic.model_validate(document)


@router.post(PROJECT + "/commitment", summary="The sharing commitment, signed by the unit's leader")
def sign_commitment(
    project_id: int, body: Commitment, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> ProjectPublic:  # fmt: skip
    project = applications.sign_commitment(session, actor=actor, now=platform.clock.now(),
                                           project_id=project_id, signed_by=body.signed_by)  # fmt: skip
    return ProjectPublic.model_validate(project)


@router.post(PROJECT + "/submit", summary="Submit for the technical review (R24, R25)")
def submit(
    project_id: int, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> ProjectPublic:
    project = applications.submit(session, actor=actor,
                                  env=platform.workflow_environment(session), project_id=project_id)  # fmt: skip
    return ProjectPublic.model_validate(project)


@router.post(PROJECT + "/complete", summary="The materials are complete (R25)")
def complete(
    project_id: int, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> ProjectPublic:
    project = applications.complete(session, actor=actor,
                                    env=platform.workflow_environment(session), project_id=project_id)  # fmt: skip
    return ProjectPublic.model_validate(project)


@router.put(PROJECT + "/plan", summary="Put a proposal in its year's plan, or leave it out (R24)")
def include_in_plan(
    project_id: int, body: Inclusion, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> ProjectPublic:  # fmt: skip
    project = register.include_in_plan(session, actor=actor, now=platform.clock.now(),
                                       project_id=project_id, included=body.included)  # fmt: skip
    return ProjectPublic.model_validate(project)


@router.post("/plans/{year}/endorse",
             summary="The development-and-reform or finance office endorses the plan (R24)")  # fmt: skip
def endorse_plan(
    year: int, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> PlanPublic:
    return PlanPublic.model_validate(
        register.endorse_plan(session, actor=actor, now=platform.clock.now(), year=year)
    )


@router.post("/plans/{year}/approve", summary="Approve the year's plan, once endorsed (R24)")
def approve_plan(
    year: int, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> PlanPublic:
    return PlanPublic.model_validate(
        register.approve_plan(session, actor=actor, now=platform.clock.now(), year=year)
    )


@router.post(PROJECT + "/completion-request", summary="The initial review asks for completion")
def request_completion(
    project_id: int, body: Note, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> ProjectPublic:
    project = reviews.request_completion(session, actor=actor,
                                         env=platform.workflow_environment(session),
                                         project_id=project_id, note=body.note)  # fmt: skip
    return ProjectPublic.model_validate(project)


@router.post(PROJECT + "/experts", summary="Refer to experts of the library (R26)")
def refer_to_experts(
    project_id: int, body: Experts, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> ProjectPublic:  # fmt: skip
    project = reviews.refer_to_experts(session, actor=actor,
                                       env=platform.workflow_environment(session),
                                       project_id=project_id, usernames=body.usernames)  # fmt: skip
    return ProjectPublic.model_validate(project)


@router.post(PROJECT + "/opinions", summary="An assigned expert's opinion (R26)")
def give_opinion(
    project_id: int, body: Opinion, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> ProjectPublic:  # fmt: skip
    reviews.give_opinion(session, actor=actor, now=platform.clock.now(), project_id=project_id,
                         supports=body.supports, opinion=body.opinion)  # fmt: skip
    return ProjectPublic.model_validate(register.get_project(session, project_id, actor))


@router.post(PROJECT + "/decision", summary="The review reply; approval issues the notice (R26)")
def decide(
    project_id: int, body: Decision, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> ProjectPublic:  # fmt: skip
    project = reviews.decide(session, actor=actor, env=platform.workflow_environment(session),
                             project_id=project_id, approve=body.approve, reply=body.reply)  # fmt: skip
    return ProjectPublic.model_validate(project)


@router.post(PROJECT + "/changes", status_code=status.HTTP_201_CREATED,
             summary="Ask to change an approved project's plan or investment (R26)")  # fmt: skip
def request_change(
    project_id: int, body: ChangeRequest, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> ChangePublic:  # fmt: skip
    change = changes.request_change(session, actor=actor, now=platform.clock.now(),
                                    project_id=project_id, description=body.description,
                                    investment=body.investment, funding=body.funding)  # fmt: skip
    return ChangePublic.model_validate(change)


@router.post("/changes/{change_id}/decision", summary="Approve or refuse a change (R26)")
def decide_change(
    change_id: int, body: Decision, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> ChangePublic:  # fmt: skip
    change = changes.decide_change(session, actor=actor, now=platform.clock.now(),
                                   change_id=change_id, approve=body.approve, reply=body.reply)  # fmt: skip
    return ChangePublic.model_validate(change)


@router.post(PROJECT + "/not-acceptable",
             summary="Changed its plan or investment without approval: not accepted (R26)")  # fmt: skip
def mark_not_acceptable(
    project_id: int, body: Note, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> ProjectPublic:  # fmt: skip
    project = reviews.mark_not_acceptable(session, actor=actor,
                                          env=platform.workflow_environment(session),
                                          project_id=project_id, reason=body.note)  # fmt: skip
    return ProjectPublic.model_validate(project)


@router.post(PROJECT + "/tender", summary="File the tender documents and contracts (R26)")
def file_tender(
    project_id: int, body: Tender, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> ProjectPublic:  # fmt: skip
    project = reviews.file_tender(session, actor=actor, env=platform.workflow_environment(session),
                                  project_id=project_id, tender_date=body.tender_date)  # fmt: skip
    return ProjectPublic.model_validate(project)


@router.get(PROJECT + "/sharing-check", summary="Run the sharing check now and keep it (R27)")
def check_sharing(
    request: Request, project_id: int, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> SharingCheckPublic:  # fmt: skip
    check = sharing_check.check_project(session, actor=actor, now=platform.clock.now(),
                                        project_id=project_id)  # fmt: skip
    return _check(check, api_language(request))


@router.post(
    PROJECT + "/acceptance", summary="Initial, then final acceptance; a veto stops it (R27)"
)
def accept(
    project_id: int, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> ProjectPublic:
    project = acceptance.accept(session, actor=actor, env=platform.workflow_environment(session),
                                project_id=project_id)  # fmt: skip
    return ProjectPublic.model_validate(project)


@router.post(PROJECT + "/self-acceptance", summary="A small project accepts itself (R27)")
def self_accept(
    project_id: int, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> ProjectPublic:
    project = acceptance.self_accept(session, actor=actor,
                                     env=platform.workflow_environment(session),
                                     project_id=project_id)  # fmt: skip
    return ProjectPublic.model_validate(project)


@router.post(PROJECT + "/evaluation", summary="Record the performance evaluation (R28)")
def record_evaluation(
    project_id: int, body: Evaluation, actor: CurrentPrincipal, session: DbSession,
    platform: AppPlatform,
) -> ProjectPublic:  # fmt: skip
    project = acceptance.record_evaluation(session, actor=actor, now=platform.clock.now(),
                                           project_id=project_id, passed=body.passed,
                                           note=body.note)  # fmt: skip
    return ProjectPublic.model_validate(project)


@router.post(PROJECT + "/rectified", summary="A failed project is rectified (R28)")
def record_rectified(
    project_id: int, body: Note, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> ProjectPublic:
    project = acceptance.record_rectified(session, actor=actor, now=platform.clock.now(),
                                          project_id=project_id, note=body.note)  # fmt: skip
    return ProjectPublic.model_validate(project)


@router.put("/experts", summary="Put an expert in the library, with their fields (R26)")
def register_expert(
    body: ExpertProfile, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> ExpertProfile:
    expert = reviews.register_expert(session, actor=actor, now=platform.clock.now(),
                                     username=body.username, fields=body.fields)  # fmt: skip
    return ExpertProfile(username=body.username, fields=expert.fields)
