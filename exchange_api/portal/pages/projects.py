"""Project pages (R24-R28): the register, each project's application, review and acceptance, for
the unit, the bureau's reviewers, experts and the offices that approve and fund projects."""

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from catalog.entries import get_resource, published_version
from catalog.models import Resource, ResourceVersion
from catalog.vocab import ResourceStatus
from exchange.errors import DomainError, InvalidInput
from exchange.identity.models import Department
from exchange.identity.visibility import Records, sees_all
from exchange.principal import Principal
from exchange.runtime import Platform
from exchange.workflow import WorkflowEnvironment
from exchange.workflow.engine import history
from exchange_api.deps import AppPlatform, DbSession
from exchange_api.errors import record_refusal
from exchange_api.portal.web import (
    Form,
    PortalUser,
    attempt,
    checked_form,
    done,
    language,
    redirect,
    render,
    say,
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
from projects.models import ProjectDocument, SharingCheck
from projects.vocab import DocumentKind, PlanState, ProjectState
from projects.workflow import PROJECT

router = APIRouter(include_in_schema=False)


def _store(platform: Platform) -> DocumentStore:
    return DocumentStore(platform.settings.data_dir / "project-documents")


@router.get("/projects")
def projects_page(
    request: Request, actor: PortalUser, session: DbSession, platform: AppPlatform
) -> Response:
    names = dict(session.execute(select(Department.id, Department.name)).all())
    year = platform.clock.now().astimezone(platform.settings.zone).year
    plans = {y: register.plan_view(session, y) for y in (year + 1, year + 2)}
    flags = funding.open_flags(session) if sees_all(actor, Records.PROJECT) else []
    return render(request, "projects.html", projects=register.visible(session, actor),
                  departments=names, plans=plans, flags=flags, next_year=year + 1,
                  PlanState=PlanState)  # fmt: skip


@router.post("/projects")
def propose_page(
    request: Request, actor: PortalUser, form: Form, platform: AppPlatform
) -> Response:
    def propose(session: Session, env: WorkflowEnvironment) -> None:
        project = register.propose(
            session, actor=actor, now=env.now, settings=platform.settings,
            name=form["name"], plan_year=_year(form["plan_year"]),
            urgent_approval=form.get("urgent_approval") or None,
        )  # fmt: skip
        created.append(project.id)

    created: list[int] = []
    failed = attempt(request, platform, propose)
    if failed:
        return redirect("/projects", notice=failed)
    return redirect(f"/projects/{created[0]}", notice=say(request, "Saved"))


def _year(text: str) -> int:
    try:
        return int(text)
    except ValueError as error:
        raise InvalidInput(
            "a plan year is a year, such as 2027", detail={"field": "plan_year"}
        ) from error


@router.post("/projects/{project_id}/plan")
def plan_page(
    request: Request, project_id: int, actor: PortalUser, form: Form, platform: AppPlatform
) -> Response:
    included = form["included"] == "yes"
    return done(request, "/projects", platform,
                lambda session, env: register.include_in_plan(
                    session, actor=actor, now=env.now, project_id=project_id, included=included))  # fmt: skip


@router.post("/projects/plans/{year}/endorse")
def endorse_plan_page(
    request: Request, year: int, actor: PortalUser, form: Form, platform: AppPlatform
) -> Response:
    return done(request, "/projects", platform,
                lambda session, env: register.endorse_plan(session, actor=actor, now=env.now,
                                                            year=year))  # fmt: skip


@router.post("/projects/funding-flags/{flag_id}/decision")
def funding_decision_page(
    request: Request, flag_id: int, actor: PortalUser, form: Form, platform: AppPlatform
) -> Response:
    withhold = form["withhold"] == "yes"
    return done(request, "/projects", platform,
                lambda session, env: funding.decide(session, actor=actor, now=env.now,
                                                    flag_id=flag_id, withhold=withhold,
                                                    note=form["note"]))  # fmt: skip


@router.post("/projects/plans/{year}/approve")
def approve_plan_page(
    request: Request, year: int, actor: PortalUser, form: Form, platform: AppPlatform
) -> Response:
    return done(request, "/projects", platform,
                lambda session, env: register.approve_plan(session, actor=actor, now=env.now,
                                                            year=year))  # fmt: skip


def _own_resources(session: DbSession, actor: Principal) -> list[tuple[str, str]]:
    return [
        (code, name) for code, name in session.execute(
            select(Resource.code, ResourceVersion.name)
            .join(ResourceVersion, ResourceVersion.id == Resource.published_version_id)
            .where(Resource.provider_department_id == actor.department_id,
                   Resource.status == ResourceStatus.PUBLISHED)
            .order_by(Resource.code)
        )
    ]  # fmt: skip


@router.get("/projects/{project_id}")
def project_page(
    request: Request, project_id: int, actor: PortalUser, session: DbSession
) -> Response:
    project = register.get_project(session, project_id, actor)
    documents = session.scalars(
        select(ProjectDocument).where(ProjectDocument.project_id == project.id)
        .order_by(ProjectDocument.id)
    ).all()  # fmt: skip
    last_check = session.scalar(
        select(SharingCheck).where(SharingCheck.project_id == project.id)
        .order_by(SharingCheck.id.desc()).limit(1)
    )  # fmt: skip
    lang = language(request)
    own = actor.department_id == project.department_id
    return render(
        request, "project.html", project=project, documents=documents,
        department=session.get_one(Department, project.department_id).name,
        lines=applications.lines_of(session, project),
        gaps=[(g.field, g.message.in_language(lang)) for g in applications.gaps(session, project)],
        duplicates=applications.duplicate_flags(session, project),
        opinions=reviews.opinions_of(session, project),
        last_check=last_check,
        vetoes=[sharing_check.explain(f, lang) for f in last_check.findings] if last_check else [],
        steps=history(session, subject_type="project", subject_id=project.id),
        open_now=set(PROJECT.actions_from(project.state, actor.roles)),
        own=own, editable=own and project.state in applications.EDITABLE,
        resources=_own_resources(session, actor) if own else [],
        kinds=list(DocumentKind), assigned=any(o.user_id == actor.user_id
                                               for o in reviews.opinions_of(session, project)),
        ProjectState=ProjectState, changes=changes.changes_of(session, project),
        changeable=project.state in changes.CHANGEABLE,
    )  # fmt: skip


def _back(project_id: int) -> str:
    return f"/projects/{project_id}"


@router.post("/projects/{project_id}/form")
def form_page(
    request: Request, project_id: int, actor: PortalUser, form: Form, platform: AppPlatform
) -> Response:
    def amounts(prefix: str, parts: tuple[str, ...]) -> dict[str, int]:
        found = {}
        for part in parts:
            text = form.get(f"{prefix}_{part}", "").strip()
            if text:
                if not text.isdigit():
                    raise InvalidInput(
                        "amounts are whole yuan", detail={"field": f"{prefix}_{part}"}
                    )
                found[part] = int(text)
        return found

    def fill(session: Session, env: WorkflowEnvironment) -> None:
        applications.fill_form(
            session, actor=actor, now=env.now, project_id=project_id,
            investment=amounts("investment", applications.INVESTMENT_PARTS),
            funding=amounts("funding", applications.FUNDING_PARTS),
            construction_months=_year(form["construction_months"]),
            persons={p: form.get(p, "") for p in applications.PERSONS},
        )  # fmt: skip

    return done(request, _back(project_id), platform, fill)


@router.post("/projects/{project_id}/documents")
async def document_page(
    request: Request, project_id: int, actor: PortalUser, platform: AppPlatform
) -> Response:
    submitted = await checked_form(request)
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return redirect(_back(project_id), notice=say(request, "Choose a file"))

    def keep(content: bytes) -> None:
        with platform.database.transaction() as session:
            applications.attach_document(
                session, actor=actor, now=platform.clock.now(), project_id=project_id,
                kind=submitted["kind"], filename=upload.filename or "document", content=content,
                store=_store(platform),
            )  # fmt: skip

    try:
        with platform.database.transaction() as session:
            register.acting_on(session, actor, project_id, "file")  # before the file is read
        await run_in_threadpool(keep, await upload.read())
    except DomainError as error:
        await run_in_threadpool(record_refusal, request, error)
        return redirect(_back(project_id), notice=error.in_language(language(request)))
    return redirect(_back(project_id), notice=say(request, "Saved"))


@router.post("/projects/{project_id}/sharing-lines")
def add_line_page(
    request: Request, project_id: int, actor: PortalUser, form: Form, platform: AppPlatform
) -> Response:
    """Add a line: one of the unit's published resources promised as it is published, or a
    catalog entry the project needs."""

    def add(session: Session, env: WorkflowEnvironment) -> None:
        project = register.get_project(session, project_id, actor)
        lines: list[dict[str, Any]] = [
            {"direction": line.direction, "name": line.name, "resource_code": line.resource_code,
             "items": line.items}
            for line in applications.lines_of(session, project)
        ]  # fmt: skip
        code = form["resource_code"].strip()
        if form["direction"] == "produce":
            version = published_version(session, get_resource(session, code))
            if version is None:
                raise InvalidInput("entry {code} is not published", code=code)
            lines.append({"direction": "produce", "name": version.name, "resource_code": code,
                          "items": [{"name": i.name, "share_type": i.share_type,
                                     "legal_basis": i.legal_basis} for i in version.items]})  # fmt: skip
        else:
            lines.append({"direction": "need", "resource_code": code})
        applications.set_sharing_list(session, actor=actor, now=env.now, project_id=project_id,
                                      lines=lines)  # fmt: skip

    return done(request, _back(project_id), platform, add)


@router.post("/projects/{project_id}/commitment")
def commitment_page(
    request: Request, project_id: int, actor: PortalUser, form: Form, platform: AppPlatform
) -> Response:
    return done(request, _back(project_id), platform,
                lambda session, env: applications.sign_commitment(
                    session, actor=actor, now=env.now, project_id=project_id,
                    signed_by=form["signed_by"]))  # fmt: skip


Step = Callable[[Session, Principal, WorkflowEnvironment, int, dict[str, str]], object]
STEPS: dict[str, Step] = {
    "submit": lambda s, actor, env, pid, form: applications.submit(s, actor=actor, env=env, project_id=pid),
    "complete": lambda s, actor, env, pid, form: applications.complete(s, actor=actor, env=env, project_id=pid),
    "request_completion": lambda s, actor, env, pid, form: reviews.request_completion(
        s, actor=actor, env=env, project_id=pid, note=form["note"]),
    "refer_to_experts": lambda s, actor, env, pid, form: reviews.refer_to_experts(
        s, actor=actor, env=env, project_id=pid,
        usernames=[u.strip() for u in form["experts"].split(",") if u.strip()]),
    "decide": lambda s, actor, env, pid, form: reviews.decide(
        s, actor=actor, env=env, project_id=pid, approve=form["approve"] == "yes",
        reply=form["reply"]),
    "opinion": lambda s, actor, env, pid, form: reviews.give_opinion(
        s, actor=actor, now=env.now, project_id=pid, supports=form["supports"] == "yes",
        opinion=form["opinion"]),
    "tender": lambda s, actor, env, pid, form: reviews.file_tender(
        s, actor=actor, env=env, project_id=pid, tender_date=_day(form["tender_date"])),
    "change": lambda s, actor, env, pid, form: changes.request_change(
        s, actor=actor, now=env.now, project_id=pid, description=form["description"]),
    "not_acceptable": lambda s, actor, env, pid, form: reviews.mark_not_acceptable(
        s, actor=actor, env=env, project_id=pid, reason=form["note"]),
    "accept": lambda s, actor, env, pid, form: acceptance.accept(s, actor=actor, env=env, project_id=pid),
    "self_accept": lambda s, actor, env, pid, form: acceptance.self_accept(
        s, actor=actor, env=env, project_id=pid),
    "evaluation": lambda s, actor, env, pid, form: acceptance.record_evaluation(
        s, actor=actor, now=env.now, project_id=pid, passed=form["passed"] == "yes",
        note=form["note"]),
    "rectified": lambda s, actor, env, pid, form: acceptance.record_rectified(
        s, actor=actor, now=env.now, project_id=pid, note=form["note"]),
    "check": lambda s, actor, env, pid, form: sharing_check.check_project(
        s, actor=actor, now=env.now, project_id=pid),
}  # fmt: skip


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise InvalidInput("give dates as YYYY-MM-DD", detail={"field": "date"}) from error


@router.post("/projects/{project_id}/changes/{change_id}/decision")
def change_decision_page(
    request: Request, project_id: int, change_id: int, actor: PortalUser, form: Form,
    platform: AppPlatform,
) -> Response:  # fmt: skip
    approve = form["approve"] == "yes"
    return done(request, _back(project_id), platform,
                lambda session, env: changes.decide_change(session, actor=actor, now=env.now,
                                                           change_id=change_id, approve=approve,
                                                           reply=form["reply"]))  # fmt: skip


@router.post("/projects/{project_id}/steps/{step}")
def step_page(
    request: Request, project_id: int, step: str, actor: PortalUser, form: Form,
    platform: AppPlatform,
) -> Response:  # fmt: skip
    take = STEPS.get(step)
    if take is None:
        raise InvalidInput("no such step: {step}", detail={"field": "step"}, step=step)
    return done(request, _back(project_id), platform,
                lambda session, env: take(session, actor, env, project_id, form))  # fmt: skip
