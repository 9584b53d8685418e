"""Two-factor sign-in (R21, MLPS level 3 身份鉴别): a time-based one-time password (RFC 6238,
pyotp) after the password, for the roles ``second_factor_roles`` names and anyone who enrols.

The secret is sealed with the platform's key (:mod:`exchange.secrets_box`) and shown once, as a
QR code and as text, while enrolling; the first code confirms it. A code is good once: the time
step it was made for must be later than the last one used. Ten recovery codes, shown once, each
stand in for a code once; only their hashes are kept. Only another administrator resets a
person's second factor (the security administrator). Every step is audited.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
from sqlalchemy.orm import Session

from exchange import audit
from exchange.actions import ACTIONS
from exchange.errors import AuthenticationFailed, Conflict, NotFound, PermissionDenied
from exchange.identity.models import SecondFactor, User
from exchange.principal import Principal
from exchange.secrets_box import seal, unseal
from exchange.settings import Settings

ISSUER = "Government Data-Sharing Exchange"
RECOVERY_CODES = 10
STEP_SECONDS = 30


def required(user: User, settings: Settings) -> bool:
    """Whether the user's roles oblige them to sign in with a second factor."""
    return any(role in settings.second_factor_roles for role in user.roles)


def enrolled(session: Session, user_id: int) -> SecondFactor | None:
    factor = session.get(SecondFactor, user_id)
    return factor if factor is not None and factor.enrolled_at is not None else None


@dataclass(frozen=True)
class Enrolment:
    secret: str  # base32, to type into an authenticator that cannot scan
    uri: str  # otpauth://, the QR code's content


def begin(session: Session, *, settings: Settings, user: User) -> Enrolment:
    """A new secret for ``user`` to confirm with a code; replaces an unconfirmed one."""
    if enrolled(session, user.id) is not None:
        raise Conflict("a second factor is enrolled already; an administrator resets it")
    secret = pyotp.random_base32()
    factor = session.get(SecondFactor, user.id)
    if factor is None:
        factor = SecondFactor(user_id=user.id, recovery_hashes=[])
        session.add(factor)
    factor.sealed_secret, factor.enrolled_at, factor.last_step = (
        seal(settings, {"s": secret}),
        None,
        None,
    )
    session.flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    return Enrolment(secret, uri)


def confirm(
    session: Session, *, settings: Settings, actor: Principal, user: User, code: str, now: datetime
) -> list[str]:
    """Confirm the enrolment with a first code; the recovery codes, to be shown once."""
    factor = session.get(SecondFactor, user.id)
    if factor is None or factor.enrolled_at is not None:
        raise Conflict("start the enrolment first")
    step = _matching_step(settings, factor, code, now)
    if step is None:
        raise AuthenticationFailed(
            "that code is not the one your authenticator shows now",
            detail={"reason": "wrong_code"},
        )
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    factor.enrolled_at, factor.last_step = now, step
    factor.recovery_hashes = [_digest(code) for code in codes]
    audit.record(session, at=now, actor=actor, action="identity.second_factor_enrol",
                 object_type="user", object_id=user.username)  # fmt: skip
    return codes


def verify(session: Session, *, settings: Settings, user_id: int, code: str, now: datetime) -> str:
    """Accept a current code or an unused recovery code (used up); which it was. Raises
    AuthenticationFailed for anything else, replays included."""
    factor = enrolled(session, user_id)
    if factor is None:
        raise AuthenticationFailed("no second factor is enrolled", detail={"reason": "none"})
    step = _matching_step(settings, factor, code, now)
    if step is not None:
        factor.last_step = step
        return "code"
    digest = _digest(code)
    if any(hmac.compare_digest(digest, kept) for kept in factor.recovery_hashes):
        factor.recovery_hashes = [kept for kept in factor.recovery_hashes if kept != digest]
        return "recovery_code"
    raise AuthenticationFailed("wrong or used code", detail={"reason": "wrong_code"})


def reset(session: Session, *, actor: Principal, user: User, now: datetime) -> None:
    """Remove a person's second factor so that they enrol again: another administrator's act."""
    if not ACTIONS.allows(actor, "other", "identity", "assign_roles"):
        raise PermissionDenied("only the security administrator resets a second factor")
    if actor.user_id == user.id:
        raise PermissionDenied("another administrator resets your second factor, not you")
    factor = session.get(SecondFactor, user.id)
    if factor is None:
        raise NotFound("{user} has no second factor", user=user.username)
    session.delete(factor)
    audit.record(session, at=now, actor=actor, action="identity.second_factor_reset",
                 object_type="user", object_id=user.username)  # fmt: skip


def _matching_step(
    settings: Settings, factor: SecondFactor, code: str, now: datetime
) -> int | None:
    """The time step (of the current one and its neighbours, for clock drift) whose code this
    is, if it is later than the last step used."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(unseal(settings, factor.sealed_secret)["s"])
    current = int(now.timestamp()) // STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and step > (factor.last_step or -1):
            return step
    return None


def _digest(code: str) -> str:
    return hashlib.sha256(code.strip().lower().encode()).hexdigest()
