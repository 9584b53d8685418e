"""Who is calling, API tokens, departments and users."""

from datetime import datetime

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from exchange.errors import PermissionDenied
from exchange.identity import passwords, second_factor, service
from exchange.identity.models import ApiToken, Department, User
from exchange.identity.roles import DepartmentKind, Role
from exchange.identity.sign_in import check_fresh_second_factor, check_password
from exchange.identity.visibility import Records, own_only
from exchange.runtime import Platform
from exchange_api.deps import (
    AppPlatform,
    CurrentPrincipal,
    DbSession,
    SecurityAdmin,
    SystemAdmin,
    client_address,
)
from exchange_api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["identity"], responses=ERROR_RESPONSES)


class DepartmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str = Field(examples=["11440300000000030Y"])
    name: str = Field(examples=["市市场监督管理局"])
    kind: DepartmentKind
    active: bool


class DepartmentCreate(BaseModel):
    code: str = Field(description="统一社会信用代码, 18 characters with a valid check digit.")
    name: str = Field(min_length=1, max_length=200)
    kind: DepartmentKind = DepartmentKind.GOVERNMENT
    parent_code: str | None = None


class UserPublic(BaseModel):
    id: int
    username: str
    display_name: str
    email: str | None
    department_code: str
    department_name: str
    roles: list[Role]
    active: bool

    @classmethod
    def of(cls, user: User) -> "UserPublic":
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            email=user.email,
            department_code=user.department.code,
            department_name=user.department.name,
            roles=[Role(r) for r in user.roles],
            active=user.active,
        )


class UserCreate(BaseModel):
    username: str = Field(min_length=2, max_length=64, examples=["scjg.registrar"])
    display_name: str = Field("", max_length=100)
    department_code: str
    roles: list[Role] = Field(min_length=1)
    email: str | None = None
    password: str | None = Field(None, description="For the portal; at least 10 characters.")


class RolesUpdate(BaseModel):
    roles: list[Role]


class TokenRequest(BaseModel):
    username: str
    password: str
    code: str | None = Field(
        None, description="A current code of your second factor, if you have one (R21)."
    )
    name: str = Field("api", max_length=100, description="What the token is for.")
    days: int | None = Field(None, ge=1, le=366)


class PasswordChange(BaseModel):
    username: str
    password: str = Field(description="The current password.")
    new_password: str = Field(
        description="At least 10 characters of three kinds; not a recent one."
    )
    code: str | None = Field(
        None, description="A current code of your second factor, if you have one (R21)."
    )


class PasswordReset(BaseModel):
    password: str = Field(description="A password the user must change at their next sign-in.")


class TokenCreate(BaseModel):
    name: str = Field("api", max_length=100)
    days: int | None = Field(None, ge=1, le=366)
    code: str | None = Field(
        None, description="A current code of your second factor, if you have one (R21)."
    )


class TokenPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str = Field(description="The first characters after exg_, to tell tokens apart.")
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class IssuedTokenPublic(TokenPublic):
    token: str = Field(description="The secret. It is shown this once and never again.")


def _issued(issued: service.IssuedToken) -> IssuedTokenPublic:
    return IssuedTokenPublic(
        token=issued.secret, **TokenPublic.model_validate(issued.token).model_dump()
    )


def _both_factors(
    username: str, password: str, code: str | None, request: Request, platform: Platform
) -> int:
    """The user whose password is right, and whose second factor is, where they have one or
    their roles require one (R21); else refused, throttled and audited."""
    user_id = check_password(platform.database, platform.settings, now=platform.clock.now(),
                             username=username, password=password,
                             client_address=client_address(request))  # fmt: skip
    check_fresh_second_factor(platform.database, platform.settings, now=platform.clock.now(),
                              user_id=user_id, code=code,
                              client_address=client_address(request))  # fmt: skip
    return user_id


@router.post(
    "/auth/token",
    status_code=status.HTTP_201_CREATED,
    summary="Exchange a user name and password for an API token",
)
def token_from_password(
    body: TokenRequest, request: Request, session: DbSession, platform: AppPlatform
) -> IssuedTokenPublic:
    user_id = _both_factors(body.username, body.password, body.code, request, platform)
    user = service.get_user(session, user_id)
    due = passwords.change_due(user, platform.settings, platform.clock.now())
    if due is not None:
        raise PermissionDenied(
            "your password must be changed first (POST /api/v1/auth/password, or sign in to the portal)",
            detail={"reason": "password_change_required", "why": str(due)},
        )
    actor = service.principal_for(user)
    issued = service.issue_token(
        session,
        actor=actor,
        now=platform.clock.now(),
        user_id=user.id,
        name=body.name,
        days=body.days or platform.settings.token_days,
    )
    return _issued(issued)


@router.post(
    "/auth/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change my password, giving the current one (R21)",
)
def change_password(
    body: PasswordChange, request: Request, session: DbSession, platform: AppPlatform
) -> None:
    now = platform.clock.now()
    user_id = _both_factors(body.username, body.password, body.code, request, platform)
    user = service.get_user(session, user_id)
    passwords.change(session, platform.settings, user=user, current=body.password,
                     new=body.new_password, now=now, actor=service.principal_for(user))  # fmt: skip


@router.get("/me", summary="The calling user")
def me(actor: CurrentPrincipal, session: DbSession) -> UserPublic:
    assert actor.user_id is not None
    return UserPublic.of(service.get_user(session, actor.user_id))


@router.get("/tokens", summary="My API tokens")
def my_tokens(actor: CurrentPrincipal, session: DbSession) -> list[TokenPublic]:
    assert actor.user_id is not None
    return [
        TokenPublic.model_validate(t) for t in service.list_tokens(session, user_id=actor.user_id)
    ]


@router.post(
    "/tokens", status_code=status.HTTP_201_CREATED, summary="Create another API token for myself"
)
def create_token(
    body: TokenCreate,
    request: Request,
    actor: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
) -> IssuedTokenPublic:
    assert actor.user_id is not None
    check_fresh_second_factor(platform.database, platform.settings, now=platform.clock.now(),
                              user_id=actor.user_id, code=body.code,
                              client_address=client_address(request))  # fmt: skip
    issued = service.issue_token(
        session,
        actor=actor,
        now=platform.clock.now(),
        user_id=actor.user_id,
        name=body.name,
        days=body.days or platform.settings.token_days,
    )
    return _issued(issued)


@router.delete("/tokens/{token_id}", summary="Revoke a token")
def revoke_token(
    token_id: int, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> TokenPublic:
    token: ApiToken = service.revoke_token(
        session, actor=actor, now=platform.clock.now(), token_id=token_id
    )
    return TokenPublic.model_validate(token)


@router.get("/departments", summary="All departments")
def list_departments(_: CurrentPrincipal, session: DbSession) -> list[DepartmentPublic]:
    return [
        DepartmentPublic.model_validate(d)
        for d in session.scalars(select(Department).order_by(Department.code))
    ]


@router.get("/departments/{code}", summary="One department")
def get_department(code: str, _: CurrentPrincipal, session: DbSession) -> DepartmentPublic:
    return DepartmentPublic.model_validate(service.get_department(session, code))


@router.post(
    "/departments", status_code=status.HTTP_201_CREATED, summary="Register a department (bureau)"
)
def create_department(
    body: DepartmentCreate, actor: SystemAdmin, session: DbSession, platform: AppPlatform
) -> DepartmentPublic:
    department = service.create_department(
        session,
        actor=actor,
        now=platform.clock.now(),
        code=body.code,
        name=body.name,
        kind=body.kind,
        parent_code=body.parent_code,
    )
    return DepartmentPublic.model_validate(department)


@router.get("/users", summary="Users: all for the bureau, my department's for others")
def list_users(actor: CurrentPrincipal, session: DbSession) -> list[UserPublic]:
    query = select(User).order_by(User.username)
    mine = own_only(actor, Records.USER, User.department_id)
    if mine is not None:
        query = query.where(mine)
    return [UserPublic.of(u) for u in session.scalars(query)]


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    summary="Create a user (the system administrator)",
)
def create_user(
    body: UserCreate, actor: SystemAdmin, session: DbSession, platform: AppPlatform
) -> UserPublic:
    user = service.create_user(
        session,
        actor=actor,
        now=platform.clock.now(),
        username=body.username,
        display_name=body.display_name,
        department_code=body.department_code,
        roles=body.roles,
        email=body.email,
        password=body.password,
        initial_password=True,
    )
    return UserPublic.of(user)


@router.put(
    "/users/{user_id}/password",
    summary="Give a user a new password, which they change at their next sign-in (the system administrator)",
)
def reset_password(
    user_id: int, body: PasswordReset, actor: SystemAdmin, session: DbSession, platform: AppPlatform
) -> UserPublic:
    user = service.get_user(session, user_id)
    passwords.reset(
        session, actor=actor, user=user, password=body.password, now=platform.clock.now()
    )
    return UserPublic.of(user)


@router.put("/users/{user_id}/roles", summary="Replace a user's roles (the security administrator)")
def set_roles(
    user_id: int,
    body: RolesUpdate,
    actor: SecurityAdmin,
    session: DbSession,
    platform: AppPlatform,
) -> UserPublic:
    user = service.set_roles(
        session, actor=actor, now=platform.clock.now(), user_id=user_id, roles=body.roles
    )
    return UserPublic.of(user)


@router.delete(
    "/users/{user_id}/second-factor",
    summary="Reset a user's second factor, so that they enrol again (the security administrator; R21)",
)
def reset_second_factor(
    user_id: int, actor: SecurityAdmin, session: DbSession, platform: AppPlatform
) -> UserPublic:
    user = service.get_user(session, user_id)
    second_factor.reset(session, actor=actor, user=user, now=platform.clock.now())
    return UserPublic.of(user)
