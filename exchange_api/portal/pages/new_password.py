"""Choosing a new password in the portal (R21): at sign-in, when the password was set by an
administrator or has expired, before any session exists; and at any time from one's account.

At sign-in the browser holds a sealed challenge naming the user, issued only once the password
and any second factor were right; the current password is asked again, as for any change."""

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.params import Form as FormField
from fastapi.responses import Response
from sqlalchemy.orm import Session

from exchange.errors import AuthenticationFailed, InvalidInput
from exchange.identity import passwords
from exchange.identity.service import get_user, principal_for
from exchange.runtime import Platform
from exchange_api.deps import AppPlatform, DbSession
from exchange_api.portal.signing_in import (
    RENEWAL_STEP,
    challenged,
    new_password_context,
    signed_in,
)
from exchange_api.portal.web import FormLists, PortalUser, done, render, shown

router = APIRouter(include_in_schema=False)


@router.post("/login/new-password")
def new_password_at_sign_in(
    request: Request,
    session: DbSession,
    platform: AppPlatform,
    challenge: Annotated[str, FormField()],
    password: Annotated[str, FormField()],
    new_password: Annotated[str, FormField()],
    repeat: Annotated[str, FormField()],
) -> Response:
    now = platform.clock.now()
    sealed = challenged(platform, challenge, now, RENEWAL_STEP)
    user_id, next = int(sealed["user"]), str(sealed["next"])
    try:  # in a transaction of its own: a refused password changes nothing
        with platform.database.transaction() as own:
            _change(own, platform, user_id, password, new_password, repeat)
    except (AuthenticationFailed, InvalidInput) as error:
        context = new_password_context(platform, user_id, next, str(sealed["due"]))
        return render(request, "new_password.html", status_code=400, error=shown(request, error),
                      challenge=context["challenge"], due=context["due"])  # fmt: skip
    return signed_in(request, session, platform, user_id, next)


@router.get("/account/password")
def password_page(request: Request, actor: PortalUser) -> Response:
    return render(request, "new_password.html", challenge=None, due=None, error=None)


@router.post("/account/password")
def change_password(
    request: Request, actor: PortalUser, form: FormLists, platform: AppPlatform
) -> Response:
    def act(session: Any) -> None:
        _change(session, platform, actor.user_id or 0, form["password"][0],
                form["new_password"][0], form["repeat"][0])  # fmt: skip

    return done(request, "/account/password", platform, lambda session, _env: act(session))


def _change(
    session: Session, platform: Platform, user_id: int, current: str, new: str, repeat: str
) -> None:
    if new != repeat:
        raise InvalidInput(
            "the two new passwords differ", detail={"field": "repeat", "rule": "repeat"}
        )
    user = get_user(session, user_id)
    passwords.change(session, platform.settings, user=user, current=current, new=new,
                     now=platform.clock.now(), actor=principal_for(user))  # fmt: skip
