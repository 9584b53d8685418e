"""Signing in with a password (R21): throttled, the same work for every name, every failure audited.

Failures are counted per user name and per client address in the database, so every API process
sees them. Past ``sign_in_free_failures``, each failure blocks further attempts for a back-off that
doubles up to ``sign_in_max_backoff_seconds``; a blocked attempt is refused without looking at the
password. An unknown or inactive user costs the same password check as a known one, so timing does
not tell which names exist. Each failure is recorded in the audit log with the name tried, in a
transaction of its own (the caller's rolls back with the refusal).
"""

from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from exchange import audit
from exchange.audit import Outcome
from exchange.db import Database
from exchange.errors import AuthenticationFailed, TooManyAttempts
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
