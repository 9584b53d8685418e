"""The second step of signing in (R21): a code from the authenticator, or, for someone whose
roles require a second factor and who has none, its enrolment — a QR code, the secret as text,
and the recovery codes, shown once. Between the two steps the browser holds only a sealed
challenge naming the user and when it lapses; no session exists until the code is right."""

from typing import Annotated

import segno
from fastapi import APIRouter, Request
from fastapi.params import Form as FormField
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from exchange.errors import AuthenticationFailed, TooManyAttempts
from exchange.identity import second_factor
from exchange.identity.models import User
from exchange.identity.service import get_user, principal_for
from exchange.identity.sign_in import check_second_factor
from exchange.runtime import Platform
from exchange_api.deps import AppPlatform, DbSession, client_address
from exchange_api.portal.signing_in import challenged, change_due, sealed_challenge, signed_in
from exchange_api.portal.web import render, say

router = APIRouter(include_in_schema=False)
PURPOSE = "second_factor"


def second_step(
    request: Request,
    session: Session,
    platform: Platform,
    user: User,
    next: str,
    error: str | None = None,
) -> Response:
    """The page that asks for the code, or enrols a second factor first."""
    challenge = sealed_challenge(platform, PURPOSE, user=user.id, next=next)
    if second_factor.enrolled(session, user.id) is not None:
        return render(request, "second_factor.html", challenge=challenge, enrolling=None,
                      error=error)  # fmt: skip
    enrolment = second_factor.begin(session, settings=platform.settings, user=user)
    return render(request, "second_factor.html", challenge=challenge, enrolling=enrolment,
                  qr=qr_code(enrolment.uri), error=error)  # fmt: skip


def qr_code(uri: str) -> Markup:
    """The otpauth URI as an inline SVG QR code (no image fetched, nothing sent elsewhere)."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, title="otpauth")
    return Markup(svg)  # noqa: S704 (made by segno from the URI alone)


@router.post("/login/second-factor")
def second_factor_answer(
    request: Request,
    session: DbSession,
    platform: AppPlatform,
    challenge: Annotated[str, FormField()],
    code: Annotated[str, FormField()],
) -> Response:
    now = platform.clock.now()
    sealed = challenged(platform, challenge, now, PURPOSE)
    user_id, next = int(sealed["user"]), str(sealed["next"])
    user = get_user(session, user_id)
    try:
        if second_factor.enrolled(session, user_id) is not None:
            check_second_factor(platform.database, platform.settings, now=now, user_id=user_id,
                                code=code, client_address=client_address(request))  # fmt: skip
            return signed_in(request, session, platform, user_id, next)
        codes = second_factor.confirm(session, settings=platform.settings,
                                      actor=principal_for(user), user=user, code=code, now=now)  # fmt: skip
    except (AuthenticationFailed, TooManyAttempts) as error:
        return _asked_again(request, session, platform, user, next, error)
    # A password still to change is changed after the codes are noted, before any session.
    due = change_due(platform, session, user_id, next)
    if due is not None:
        return render(request, "recovery_codes.html", codes=codes, next=next,
                      challenge=due["challenge"], due=due["due"])  # fmt: skip
    page = render(request, "recovery_codes.html", codes=codes, next=next)
    return signed_in(request, session, platform, user_id, next, response=page)


def _asked_again(
    request: Request, session: Session, platform: Platform, user: User, next: str,
    error: AuthenticationFailed | TooManyAttempts,
) -> Response:  # fmt: skip
    """The same step again, saying why; an enrolment starts over with a fresh secret."""
    if isinstance(error, TooManyAttempts):
        message = say(request, "Too many failed sign-ins: try again in {seconds} seconds",
                      seconds=error.detail["retry_after"])  # fmt: skip
    else:
        message = say(request, "That code is wrong or was used already")
    again = second_step(request, session, platform, user, next, error=message)
    again.status_code = 429 if isinstance(error, TooManyAttempts) else 401
    return again
