"""Signing in and out. The login form has no session yet, so its CSRF token is a random value
kept in a short-lived cookie and repeated in the form (double submit)."""

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.params import Form as FormField
from fastapi.responses import Response

from exchange.errors import AuthenticationFailed, PermissionDenied, TooManyAttempts
from exchange.identity import second_factor
from exchange.identity.service import authenticate_token, get_user, revoke_token
from exchange.identity.sign_in import check_password
from exchange_api.deps import AppPlatform, DbSession, client_address
from exchange_api.portal.pages.second_step import second_step
from exchange_api.portal.signing_in import LOGIN_CSRF, safe_next, signed_in
from exchange_api.portal.web import SESSION_COOKIE, Form, PortalUser, redirect, render, say

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", login_csrf=token, next=safe_next(next))
    response.set_cookie(LOGIN_CSRF, token, max_age=3600, httponly=True, samesite="strict")
    return response


@router.post("/login")
def login(
    request: Request,
    session: DbSession,
    platform: AppPlatform,
    username: Annotated[str, FormField()],
    password: Annotated[str, FormField()],
    csrf_token: Annotated[str, FormField()],
    next: Annotated[str, FormField()] = "/",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        raise PermissionDenied(
            "the sign-in form expired; reload the page", detail={"reason": "csrf"}
        )
    try:
        user_id = check_password(
            platform.database, platform.settings, now=platform.clock.now(),
            username=username.strip(), password=password, client_address=client_address(request),
        )  # fmt: skip
    except (AuthenticationFailed, TooManyAttempts) as error:
        token = secrets.token_urlsafe(24)
        message = (
            say(request, "Too many failed sign-ins: try again in {seconds} seconds",
                seconds=error.detail["retry_after"])
            if isinstance(error, TooManyAttempts)
            else say(request, "Wrong user name or password")
        )  # fmt: skip
        refused = render(
            request, "login.html", status_code=429 if isinstance(error, TooManyAttempts) else 401,
            login_csrf=token, next=safe_next(next), error=message,
        )  # fmt: skip
        refused.set_cookie(LOGIN_CSRF, token, max_age=3600, httponly=True, samesite="strict")
        return refused
    user = get_user(session, user_id)
    if second_factor.enrolled(session, user_id) or second_factor.required(user, platform.settings):
        return second_step(request, session, platform, user, safe_next(next))
    return signed_in(request, session, platform, user_id, next)


@router.post("/logout")
def logout(
    request: Request, actor: PortalUser, form: Form, session: DbSession, platform: AppPlatform
) -> Response:
    secret = request.cookies.get(SESSION_COOKIE, "")
    token = authenticate_token(session, secret=secret, now=platform.clock.now())
    revoke_token(session, actor=actor, now=platform.clock.now(), token_id=token.id)
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response
