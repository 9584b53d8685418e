"""What the steps of signing in to the portal share (R21): the sealed challenge the browser
carries between two steps, the new password due before any work, and the session that ends a
complete sign-in. The pages of each step (password, second factor, new password) build on this
and never on one another."""

from datetime import datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from exchange.errors import AuthenticationFailed, InvalidInput
from exchange.identity import passwords
from exchange.identity.service import PortalSession, get_user, issue_token, principal_for
from exchange.runtime import Platform
from exchange.secrets_box import seal, unseal
from exchange.settings import Settings
from exchange_api.portal.web import SESSION_COOKIE, SESSION_DAYS, redirect, render

LOGIN_CSRF = "exchange_login_csrf"
RENEWAL_STEP = "new_password"  # the purpose of the challenge that asks for a new password


def safe_next(target: str | None) -> str:
    """Only a path of this site: a sign-in link must not send anyone elsewhere."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def sealed_challenge(platform: Platform, purpose: str, **values: object) -> str:
    """What the browser carries between two steps of signing in: ``values`` (the ``user`` and
    ``next``) for ``purpose``, sealed, lapsing after ``second_factor_minutes``."""
    until = platform.clock.now() + timedelta(minutes=platform.settings.second_factor_minutes)
    return seal(platform.settings, {**values, "until": until.isoformat(), "purpose": purpose})


def challenged(platform: Platform, challenge: str, now: datetime, purpose: str) -> dict[str, Any]:
    """What a challenge sealed for ``purpose`` says, if it has not lapsed: its ``user`` and
    ``next`` (a challenge of the other step of signing in is refused)."""
    try:
        sealed = unseal(platform.settings, challenge)
        int(sealed["user"]), str(sealed["next"])
        until = datetime.fromisoformat(sealed["until"])
        if sealed.get("purpose") != purpose:
            raise ValueError(purpose)
    except (InvalidInput, KeyError, ValueError, TypeError) as error:
        raise AuthenticationFailed("sign in again", detail={"reason": "bad_challenge"}) from error
    if until <= now:
        raise AuthenticationFailed(
            "the time for the second step ran out; sign in again", detail={"reason": "lapsed"}
        )
    return sealed


def new_password_context(platform: Platform, user_id: int, next: str, due: str) -> dict[str, str]:
    """The new-password form's context: a sealed challenge and why a new password is due."""
    challenge = sealed_challenge(platform, RENEWAL_STEP, user=user_id, next=next, due=due)
    return {"challenge": challenge, "due": due}


def change_due(
    platform: Platform, session: Session, user_id: int, next: str
) -> dict[str, str] | None:
    """The new-password form's context if ``user_id`` must choose a new password before
    working."""
    user = get_user(session, user_id)
    due = passwords.change_due(user, platform.settings, platform.clock.now())
    return None if due is None else new_password_context(platform, user_id, next, due)


def signed_in(
    request: Request,
    session: Session,
    platform: Platform,
    user_id: int,
    next: str,
    response: Response | None = None,
) -> Response:
    """A portal session for ``user_id``, whose sign-in is complete, and on to ``next`` (or
    ``response``, which then carries the session); first a new password, if one is due."""
    if response is None and (due := change_due(platform, session, user_id, next)):
        return render(request, "new_password.html", challenge=due["challenge"], due=due["due"])
    user = get_user(session, user_id)
    lasting = portal_session(platform.settings)
    issued = issue_token(
        session, actor=principal_for(user), now=platform.clock.now(), user_id=user.id,
        name="portal sign-in", days=SESSION_DAYS, session_of=lasting,
    )  # fmt: skip
    response = response or redirect(safe_next(next))
    secure = request.url.scheme == "https"
    response.set_cookie(
        SESSION_COOKIE, issued.secret, max_age=int(lasting.lifetime.total_seconds()),
        httponly=True, samesite="lax", secure=secure,
    )  # fmt: skip
    response.delete_cookie(LOGIN_CSRF)
    return response


def portal_session(settings: Settings) -> PortalSession:
    return PortalSession(
        idle_minutes=settings.portal_idle_minutes,
        lifetime=timedelta(hours=settings.portal_session_hours),
    )
