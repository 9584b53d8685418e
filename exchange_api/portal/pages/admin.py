"""Administration: departments, users and their roles, my API tokens, and the working-day
calendar (import a year's official schedule). The services refuse whoever may not do each."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import or_, select
from starlette.datastructures import UploadFile

from exchange.actions import ACTIONS
from exchange.errors import DomainError, InvalidInput
from exchange.identity import administration, passwords, second_factor, service
from exchange.identity.models import Department, User
from exchange.identity.roles import DepartmentKind, Role
from exchange.identity.sign_in import check_fresh_second_factor
from exchange.workdays.models import CalendarYear
from exchange.workdays.schedule import import_schedule, parse_schedule_csv
from exchange_api.deps import AppPlatform, DbSession
from exchange_api.portal.paging import page_of
from exchange_api.portal.web import (
    FormLists,
    PortalUser,
    checked_form,
    done,
    redirect,
    render,
    shown,
)

router = APIRouter(include_in_schema=False)


@router.get("/admin")
def admin_page(request: Request, actor: PortalUser, session: DbSession) -> Response:
    """Departments and accounts (the system administrator), roles and second factors (the
    security administrator): each sees the page, each acts only on their part."""
    if not (
        administration.may_administer(actor)
        or ACTIONS.allows(actor, "other", "identity", "assign_roles")
    ):
        administration.require_account_keeper(actor)  # refuses, naming what is missing
    departments = session.scalars(select(Department).order_by(Department.name)).all()
    wanted = request.query_params.get("q", "").strip()
    found = select(User).outerjoin(Department, Department.id == User.department_id)
    if wanted:
        pattern = f"%{wanted}%"
        found = found.where(or_(User.username.ilike(pattern), User.display_name.ilike(pattern),
                                Department.name.ilike(pattern)))  # fmt: skip
    rows, pages = page_of(session, request, found.order_by(User.username))
    return render(
        request, "admin.html", departments=departments, users=[user for user, in rows],
        roles=list(Role),
        kinds=list(DepartmentKind), q=wanted, paging=pages,
    )  # fmt: skip


@router.post("/admin/departments")
def add_department(
    request: Request, actor: PortalUser, form: FormLists, platform: AppPlatform
) -> Response:
    def act(session: Any) -> None:
        service.create_department(
            session, actor=actor, now=platform.clock.now(), code=form["code"][0].strip(),
            name=form["name"][0].strip(), kind=DepartmentKind(form["kind"][0]),
        )  # fmt: skip

    return done(request, "/admin", platform, lambda session, _env: act(session))


@router.post("/admin/users")
def add_user(
    request: Request, actor: PortalUser, form: FormLists, platform: AppPlatform
) -> Response:
    def act(session: Any) -> None:
        service.create_user(
            session, actor=actor, now=platform.clock.now(), username=form["username"][0],
            display_name=form["display_name"][0], department_code=form["department_code"][0],
            roles=[Role(r) for r in form.get("roles", [])], email=(form.get("email") or [""])[0] or None,
            password=form["password"][0], initial_password=True,
        )  # fmt: skip

    return done(request, "/admin", platform, lambda session, _env: act(session))


@router.post("/admin/users/{user_id}/second-factor/reset")
def reset_second_factor(
    request: Request, user_id: int, actor: PortalUser, form: FormLists, platform: AppPlatform
) -> Response:
    def act(session: Any) -> None:
        user = service.get_user(session, user_id)
        second_factor.reset(session, actor=actor, user=user, now=platform.clock.now())

    return done(request, "/admin", platform, lambda session, _env: act(session))


@router.post("/admin/users/{user_id}/password")
def reset_password(
    request: Request, user_id: int, actor: PortalUser, form: FormLists, platform: AppPlatform
) -> Response:
    def act(session: Any) -> None:
        user = service.get_user(session, user_id)
        passwords.reset(session, actor=actor, user=user, password=form["password"][0],
                        now=platform.clock.now())  # fmt: skip

    return done(request, "/admin", platform, lambda session, _env: act(session))


@router.post("/admin/users/{user_id}/roles")
def change_roles(
    request: Request, user_id: int, actor: PortalUser, form: FormLists, platform: AppPlatform
) -> Response:
    def act(session: Any) -> None:
        service.set_roles(
            session, actor=actor, now=platform.clock.now(), user_id=user_id,
            roles=[Role(r) for r in form.get("roles", [])],
        )  # fmt: skip

    return done(request, "/admin", platform, lambda session, _env: act(session))


@router.get("/account/tokens")
def my_tokens(
    request: Request, actor: PortalUser, session: DbSession, platform: AppPlatform
) -> Response:
    tokens = service.list_tokens(session, user_id=actor.user_id) if actor.user_id else []
    issued = request.query_params.get("issued")
    return render(request, "tokens.html", tokens=tokens, now=platform.clock.now(), issued=issued)


@router.post("/account/tokens")
def new_token(
    request: Request, actor: PortalUser, form: FormLists, platform: AppPlatform
) -> Response:
    try:
        days = int((form.get("days") or ["90"])[0])
        check_fresh_second_factor(platform.database, platform.settings, now=platform.clock.now(),
                                  user_id=actor.user_id or 0, code=(form.get("code") or [""])[0],
                                  client_address=actor.client_address)  # fmt: skip
        with platform.database.transaction() as session:
            issued = service.issue_token(
                session, actor=actor, now=platform.clock.now(), user_id=actor.user_id or 0,
                name=(form.get("name") or ["token"])[0], days=days,
            )  # fmt: skip
    except (DomainError, ValueError) as error:
        return redirect("/account/tokens", notice=shown(request, error))
    # Shown once, on the page the browser lands on; it is never stored.
    with platform.database.transaction() as session:
        tokens = service.list_tokens(session, user_id=actor.user_id or 0)
        return render(
            request, "tokens.html", tokens=tokens, now=platform.clock.now(), issued=issued.secret
        )


@router.post("/account/tokens/{token_id}/revoke")
def revoke(
    request: Request, token_id: int, actor: PortalUser, form: FormLists, platform: AppPlatform
) -> Response:
    return done(
        request,
        "/account/tokens",
        platform,
        lambda session, _env: service.revoke_token(
            session, actor=actor, now=platform.clock.now(), token_id=token_id
        ),
    )


@router.get("/admin/calendar")
def calendar_page(request: Request, actor: PortalUser, session: DbSession) -> Response:
    ACTIONS.require(actor, "other", "platform", "administer")
    years = session.scalars(select(CalendarYear).order_by(CalendarYear.year)).all()
    return render(request, "calendar.html", years=years)


@router.post("/admin/calendar")
async def import_calendar(request: Request, actor: PortalUser, platform: AppPlatform) -> Response:
    await checked_form(request)
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput("choose the schedule file (CSV: date,type,name)")
    try:
        text = (await upload.read()).decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput("the schedule file must be UTF-8 text") from error

    def act(session: Any) -> None:
        import_schedule(
            session, days=parse_schedule_csv(text), source=upload.filename or "upload",
            actor=actor, now=platform.clock.now(), zone=platform.settings.zone,
        )  # fmt: skip

    return done(request, "/admin/calendar", platform, lambda session, _env: act(session))
