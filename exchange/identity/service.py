"""Departments, users, roles and tokens. Services take a session and never commit."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import audit
from exchange.actions import ACTIONS
from exchange.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound
from exchange.identifiers import is_valid_uscc
from exchange.identity import passwords
from exchange.identity.administration import (
    check_role_grant,
    may_administer,
    require_account_keeper,
)
from exchange.identity.models import ApiToken, Department, RoleTerm, User, UserRole
from exchange.identity.roles import DepartmentKind, Role
from exchange.identity.secrets import (
    TOKEN_PREFIX,
    new_token_secret,
    token_digest,
)
from exchange.policy_changes import announce
from exchange.principal import Principal


def principal_for(user: User, client_address: str | None = None) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        department_id=user.department_id,
        department_code=user.department.code,
        roles=frozenset(Role(r) for r in user.roles),
        client_address=client_address,
    )


def get_department(session: Session, code: str) -> Department:
    department = session.scalar(select(Department).where(Department.code == code))
    if department is None:
        raise NotFound("no department with code {code}", code=code)
    return department


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no user with id {user_id}", user_id=user_id)
    return user


def create_department(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    code: str,
    name: str,
    kind: DepartmentKind,
    parent_code: str | None = None,
) -> Department:
    require_account_keeper(actor)
    code = code.strip().upper()
    if not is_valid_uscc(code):
        raise InvalidInput(
            "{code!r} is not a valid unified social credit code (18 characters, GB 32100 check digit)",
            detail={"field": "code"},
            code=code,
        )
    name = name.strip()
    if not name:
        raise InvalidInput("a department needs a name", detail={"field": "name"})
    if session.scalar(
        select(Department.id).where((Department.code == code) | (Department.name == name))
    ):
        raise Conflict(
            "a department with code {code} or name {name} already exists",
            code=code,
            name=name,
        )
    parent = get_department(session, parent_code) if parent_code else None
    department = Department(
        code=code, name=name, kind=kind, parent_id=parent.id if parent else None, created_at=now
    )
    session.add(department)
    session.flush()
    audit.record(
        session,
        at=now,
        actor=actor,
        action="department.create",
        object_type="department",
        object_id=code,
        detail={"name": name, "kind": str(kind)},
    )
    return department


def create_user(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    username: str,
    display_name: str,
    department_code: str,
    roles: Iterable[Role],
    email: str | None = None,
    password: str | None = None,
    initial_password: bool = False,
) -> User:
    """A new account; an ``initial_password`` (one an administrator chose) must be changed by its
    holder at their first sign-in (R21)."""
    require_account_keeper(actor)
    username = username.strip()
    if not username or not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise InvalidInput(
            "a user name uses letters, digits, '.', '-' and '_' only", detail={"field": "username"}
        )
    if session.scalar(select(User.id).where(User.username == username)):
        raise Conflict("user name {username} is taken", username=username)
    check_role_grant(actor, None, set(), {str(role) for role in roles})
    department = get_department(session, department_code)
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        email=email,
        department_id=department.id,
        department=department,
        password_hash=passwords.checked_hash(password, username) if password else None,
        password_changed_at=now if password else None,
        must_change_password=bool(password) and initial_password,
        created_at=now,
    )
    user.role_rows = [UserRole(role=str(role)) for role in sorted(set(roles))]
    session.add(user)
    session.flush()
    _record_terms(session, user, before=set(), actor=actor, now=now)
    audit.record(
        session,
        at=now,
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=user.id,
        detail={"username": username, "department": department.code, "roles": user.roles},
    )
    return user


def set_roles(
    session: Session, *, actor: Principal, now: datetime, user_id: int, roles: Iterable[Role]
) -> User:
    """The security administrator's act: replace a user's roles."""
    ACTIONS.require(actor, "other", "identity", "assign_roles")
    return replace_roles(session, actor=actor, now=now, user_id=user_id, roles=roles)


def replace_roles(
    session: Session, *, actor: Principal, now: datetime, user_id: int, roles: Iterable[Role]
) -> User:
    """Replace a user's roles for a caller that has checked its own authority (the bureau
    registering a department's data resource administrator, R2); the privileged roles and the
    separation of the administrators are checked here all the same."""
    user = get_user(session, user_id)
    before = user.roles
    check_role_grant(actor, user.id, set(before), {str(role) for role in roles})
    user.role_rows = [UserRole(role=str(role)) for role in sorted(set(roles))]
    session.flush()
    _record_terms(session, user, before=set(before), actor=actor, now=now)
    audit.record(
        session,
        at=now,
        actor=actor,
        action="user.roles",
        object_type="user",
        object_id=user.id,
        detail={"before": before, "after": user.roles},
    )
    announce(session, "user", user.id)  # cached sign-ins of the user see the new roles
    return user


def _record_terms(
    session: Session, user: User, *, before: set[str], actor: Principal, now: datetime
) -> None:
    """Open a term for each role the user gains, close the term of each role it loses."""
    after = set(user.roles)
    for role in sorted(after - before):
        session.add(RoleTerm(user_id=user.id, department_id=user.department_id, role=role,
                             started_at=now, recorded_by=actor.username))  # fmt: skip
    for term in session.scalars(
        select(RoleTerm).where(
            RoleTerm.user_id == user.id,
            RoleTerm.role.in_(sorted(before - after)),
            RoleTerm.ended_at.is_(None),
        )
    ):
        term.ended_at = now
    session.flush()


def role_terms(session: Session, *, role: Role, department_id: int) -> list[tuple[RoleTerm, User]]:
    """Everyone who held ``role`` in the department, with their terms, oldest first."""
    rows = session.execute(
        select(RoleTerm, User)
        .join(User, User.id == RoleTerm.user_id)
        .where(RoleTerm.role == str(role), RoleTerm.department_id == department_id)
        .order_by(RoleTerm.started_at, RoleTerm.id)
    )
    return [(term, user) for term, user in rows]


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str


@dataclass(frozen=True)
class PortalSession:
    """How long a portal session lasts (R21): ``idle_minutes`` without use, ``lifetime`` at most."""

    idle_minutes: int
    lifetime: timedelta


def issue_token(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    user_id: int,
    name: str,
    days: int,
    session_of: PortalSession | None = None,
) -> IssuedToken:
    """A new token for ``user_id``; the secret is returned once and never stored. A portal
    session (``session_of``) ends when it has not been used for its idle time, or at the end of
    its lifetime, whichever comes first."""
    if actor.user_id != user_id and not actor.is_system:
        require_account_keeper(actor)
    if not 1 <= days <= 366:
        raise InvalidInput("a token lives between 1 and 366 days", detail={"field": "days"})
    user = get_user(session, user_id)
    secret = new_token_secret()
    lifetime = timedelta(days=days) if session_of is None else session_of.lifetime
    token = ApiToken(
        user_id=user.id,
        name=name.strip() or "token",
        prefix=secret[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 8],
        token_hash=token_digest(secret),
        created_at=now,
        expires_at=now + lifetime,
        idle_minutes=None if session_of is None else session_of.idle_minutes,
        idle_until=None if session_of is None else now + timedelta(minutes=session_of.idle_minutes),
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        at=now,
        actor=actor,
        action="token.issue",
        object_type="token",
        object_id=token.id,
        detail={
            "user": user.username,
            "name": token.name,
            "expires_at": token.expires_at.isoformat(),
        },
    )
    return IssuedToken(token, secret)


def authenticate_token(session: Session, *, secret: str, now: datetime) -> ApiToken:
    """The bearer token, of an active user; raises with the reason (unknown, expired, revoked)."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(secret)))
    if token is None:
        raise AuthenticationFailed("the token is not valid", detail={"reason": "unknown_token"})
    if token.revoked_at is not None:
        raise AuthenticationFailed(
            "the token was revoked; create a new one",
            detail={"reason": "revoked", "token_id": token.id},
        )
    if token.expires_at <= now:
        raise AuthenticationFailed(
            "the token has expired; create a new one",
            detail={"reason": "expired", "token_id": token.id},
        )
    if token.idle_until is not None and token.idle_until <= now:
        raise AuthenticationFailed(
            "the session ended after {minutes} minutes without use; sign in again",
            detail={"reason": "idle", "token_id": token.id},
            minutes=token.idle_minutes,
        )
    if not token.user.active:
        raise AuthenticationFailed("the user is deactivated", detail={"reason": "inactive_user"})
    # Record use at most once a minute: a write on every request would throttle reads.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
        if token.idle_minutes is not None:
            token.idle_until = now + timedelta(minutes=token.idle_minutes)
    return token


def ends_at(token: ApiToken) -> datetime:
    """When the token stops working if it is not used again."""
    return token.expires_at if token.idle_until is None else min(token.expires_at, token.idle_until)


def list_tokens(session: Session, *, user_id: int) -> list[ApiToken]:
    return list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id))
    )


def revoke_token(session: Session, *, actor: Principal, now: datetime, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.user_id and not may_administer(actor)):
        raise NotFound("no token {token_id} of yours", token_id=token_id)
    if token.revoked_at is None:
        token.revoked_at = now
        audit.record(
            session,
            at=now,
            actor=actor,
            action="token.revoke",
            object_type="token",
            object_id=token_id,
        )
        announce(session, "user", token.user_id)  # cached sign-ins drop the token at once
    return token
