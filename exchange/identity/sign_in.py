"""Signing in with a password (R21): throttled, the same work for every name, every failure audited.

Failures are counted per user name and per client address in the database, so every API process
sees them. Past ``sign_in_free_failures``, each failure blocks further attempts for a back-off that
doubles up to ``sign_in_max_backoff_seconds``; a blocked attempt is refused without looking at the
password. An unknown or inactive user costs the same password check as a known one, so timing does
not tell which names exist. Each failure is recorded in the audit log with the name tried, in a
transaction of its own (the caller's rolls back with the refusal).
"""

from dataclasses import replace
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from exchange import audit
from exchange.audit import Outcome
from exchange.db import Database
from exchange.errors import AuthenticationFailed, PermissionDenied, TooManyAttempts
from exchange.identity.models import SignInThrottle, User
from exchange.identity.secrets import hash_password, password_matches
from exchange.principal import Principal
from exchange.settings import Settings

MAX_NAME_IN_RECORD = 64


@cache
def _stand_in_hash() -> str:
    """A real hash to check unknown names against: the same argon2 work as for a known name."""
    return hash_password("no user has this password")


def _keys(username: str, client_address: str | None) -> list[str]:
    return [f"user:{username.lower()[:150]}", f"address:{client_address or 'unknown'}"]


def _blocked_for(session: Session, keys: list[str], now: datetime) -> int:
    rows = session.scalars(select(SignInThrottle).where(SignInThrottle.key.in_(keys)))
    waits = [(row.blocked_until - now).total_seconds() for row in rows if row.blocked_until]
    return max([int(wait) + 1 for wait in waits if wait > 0], default=0)


def _count_failure(session: Session, settings: Settings, key: str, now: datetime) -> None:
    # Insert-if-absent then lock: concurrent first failures for one key do not collide.
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(SignInThrottle)
        .values(key=key, failures=0, last_failure_at=now, blocked_until=None)
        .on_conflict_do_nothing()
    )
    row = session.get_one(SignInThrottle, key, with_for_update=True, populate_existing=True)
    if now - row.last_failure_at > timedelta(seconds=2 * settings.sign_in_max_backoff_seconds):
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    beyond = row.failures - settings.sign_in_free_failures
    if beyond > 0:
        wait = settings.sign_in_backoff_seconds * 2 ** min(beyond - 1, 20)
        row.blocked_until = now + timedelta(seconds=min(wait, settings.sign_in_max_backoff_seconds))


def _refusal(
    database: Database, now: datetime, username: str, address: str | None, reason: str
) -> None:
    audit.record_in_own_transaction(
        database,
        at=now,
        actor=Principal(None, "anonymous", None, None, client_address=address),
        action="identity.sign_in",
        outcome=Outcome.DENIED,
        object_type="user",
        object_id=username[:MAX_NAME_IN_RECORD],
        detail={"reason": reason},
    )


def check_password(
    database: Database,
    settings: Settings,
    *,
    now: datetime,
    username: str,
    password: str,
    client_address: str | None,
) -> int:
    """The id of the user ``username`` if ``password`` is theirs; else refused, counted, audited."""
    keys = _keys(username, client_address)
    with database.transaction() as session:
        wait = _blocked_for(session, keys, now)
        user = None
        if not wait:
            user = session.scalar(select(User).where(User.username == username))
            stored = user.password_hash if user is not None and user.password_hash else None
            matches = password_matches(stored or _stand_in_hash(), password)
            if user is None or not user.active or stored is None or not matches:
                user = None
                for key in keys:
                    _count_failure(session, settings, key, now)
            else:
                session.execute(delete(SignInThrottle).where(SignInThrottle.key == keys[0]))
        user_id = user.id if user is not None else None
    if wait:
        _refusal(database, now, username, client_address, "throttled")
        error: AuthenticationFailed | TooManyAttempts = TooManyAttempts(
            "too many failed sign-ins; try again in {wait} seconds",
            detail={"retry_after": wait},
            wait=wait,
        )
    elif user_id is None:
        _refusal(database, now, username, client_address, "bad_credentials")
        error = AuthenticationFailed(
            "wrong user name or password", detail={"reason": "bad_credentials"}
        )
    else:
        return user_id
    error.audited = True
    raise error


def check_second_factor(
    database: Database,
    settings: Settings,
    *,
    now: datetime,
    user_id: int,
    code: str,
    client_address: str | None,
) -> None:
    """Accept the second factor of a user whose password was right (R21), or refuse it: throttled
    like passwords (a six-digit code must not be guessed), every refusal audited."""
    from exchange.identity import second_factor
    from exchange.identity.service import principal_for

    with database.transaction() as session:
        user = session.get_one(User, user_id)
        keys = [f"factor:{user.username.lower()[:150]}"]
        wait = _blocked_for(session, keys, now)
        reason = "throttled" if wait else None
        if not wait:
            try:
                used = second_factor.verify(
                    session, settings=settings, user_id=user_id, code=code, now=now
                )
            except AuthenticationFailed:
                reason = "wrong_code"
                _count_failure(session, settings, keys[0], now)
            else:
                session.execute(delete(SignInThrottle).where(SignInThrottle.key == keys[0]))
                audit.record(session, at=now, actor=replace(principal_for(user), client_address=client_address),
                             action="identity.second_factor", object_type="user",
                             object_id=user.username, detail={"with": used})  # fmt: skip
        username = user.username
    if reason is None:
        return
    _refusal(database, now, username, client_address, f"second_factor_{reason}")
    error: AuthenticationFailed | TooManyAttempts = (
        TooManyAttempts(
            "too many failed sign-ins; try again in {wait} seconds",
            detail={"retry_after": wait},
            wait=wait,
        )
        if wait
        else AuthenticationFailed("wrong or used code", detail={"reason": "wrong_code"})
    )
    error.audited = True
    raise error


def check_fresh_second_factor(
    database: Database,
    settings: Settings,
    *,
    now: datetime,
    user_id: int,
    code: str | None,
    client_address: str | None,
) -> None:
    """Creating an API token needs a current code from whoever has a second factor or whose
    roles require one (R21): a token outlives the session it was made in."""
    from exchange.identity import second_factor

    with database.transaction() as session:
        user = session.get_one(User, user_id)
        has = second_factor.enrolled(session, user_id) is not None
        must = second_factor.required(user, settings)
    if not (has or must):
        return
    if not has:
        raise PermissionDenied(
            "your roles require a second factor: sign in to the portal to set it up, then create tokens",
            detail={"reason": "second_factor_not_enrolled"},
        )
    if not code:
        raise AuthenticationFailed(
            "creating an API token needs a current code of your second factor",
            detail={"reason": "second_factor_needed"},
        )
    check_second_factor(database, settings, now=now, user_id=user_id, code=code,
                        client_address=client_address)  # fmt: skip
