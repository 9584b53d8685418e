"""Passwords (R21, MLPS level 3: 口令复杂度与定期更换): the policy every new password meets, a
password's expiry, and the change forced on a password someone else set.

A password set by an administrator (a new account, a reset) must be changed by its holder at the
next sign-in; so must one older than ``password_max_age_days``. A new password may not be one of
the holder's last ``password_history`` passwords.
"""

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from exchange import audit
from exchange.errors import AuthenticationFailed, InvalidInput
from exchange.identity.administration import require_account_keeper
from exchange.identity.models import User
from exchange.identity.secrets import MIN_PASSWORD_LENGTH, hash_password, password_matches
from exchange.principal import Principal
from exchange.settings import Settings


class ChangeDue(StrEnum):
    INITIAL = "initial"  # set by someone else
    EXPIRED = "expired"


def checked_hash(password: str, username: str) -> str:
    """The hash of a password that meets the policy: long enough, of at least three kinds of
    character, and not the user name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            "a password has at least {min_password_length} characters",
            detail={"field": "password"},
            min_password_length=MIN_PASSWORD_LENGTH,
        )
    kinds = (str.islower, str.isupper, str.isdigit, _is_sign)
    if sum(any(kind(c) for c in password) for kind in kinds) < 3:
        raise InvalidInput(
            "a password mixes at least three of: small letters, capital letters, digits, other signs",
            detail={"field": "password", "rule": "character_kinds"},
        )
    if username.lower() in password.lower():
        raise InvalidInput(
            "a password may not contain the user name",
            detail={"field": "password", "rule": "user_name"},
        )
    return hash_password(password)


def _is_sign(character: str) -> bool:
    return not character.isalnum()


def change_due(user: User, settings: Settings, now: datetime) -> ChangeDue | None:
    """Why ``user`` must choose a new password before working, if they must."""
    if user.password_hash is None:
        return None
    if user.must_change_password:
        return ChangeDue.INITIAL
    changed = user.password_changed_at or user.created_at
    if settings.password_max_age_days and now - changed > timedelta(
        days=settings.password_max_age_days
    ):
        return ChangeDue.EXPIRED
    return None


def set_initial(user: User, password: str, now: datetime) -> None:
    """A password an administrator chose for ``user``: to be changed at their next sign-in (it is
    not theirs, so it does not join their history)."""
    user.password_hash = checked_hash(password, user.username)
    user.password_changed_at = now
    user.must_change_password = True


def change(
    session: Session,
    settings: Settings,
    *,
    user: User,
    current: str,
    new: str,
    now: datetime,
    actor: Principal,
) -> None:
    """``user`` replaces their own password, giving the current one."""
    if not password_matches(user.password_hash, current):
        raise AuthenticationFailed(
            "the current password is wrong", detail={"reason": "bad_credentials"}
        )
    if new == current or any(
        password_matches(old, new) for old in user.previous_password_hashes or []
    ):
        raise InvalidInput(
            "a new password may not be one of your last {count} passwords",
            detail={"field": "new_password", "rule": "history"},
            count=settings.password_history,
        )
    _replace(user, checked_hash(new, user.username), now, keep=settings.password_history)
    user.must_change_password = False
    audit.record(session, at=now, actor=actor, action="identity.password_change",
                 object_type="user", object_id=user.username)  # fmt: skip


def reset(session: Session, *, actor: Principal, user: User, password: str, now: datetime) -> None:
    """An administrator gives ``user`` a new password, which they must change at sign-in."""
    require_account_keeper(actor)
    set_initial(user, password, now)
    audit.record(session, at=now, actor=actor, action="identity.password_reset",
                 object_type="user", object_id=user.username)  # fmt: skip


def _replace(user: User, new_hash: str, now: datetime, *, keep: int) -> None:
    """The old hash joins the history (the last ``keep`` kept), the new one takes its place."""
    history = list(user.previous_password_hashes or [])
    if user.password_hash and keep:
        history = [user.password_hash, *history]
    user.previous_password_hashes = history[: max(keep - 1, 0)]
    user.password_hash = new_hash
    user.password_changed_at = now
