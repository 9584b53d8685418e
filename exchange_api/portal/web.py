"""What every portal page shares: the signed-in user from the session cookie, CSRF protection,
the language, and rendering a template.

A portal session is an API token of the user's (so expiry, revocation and the audit of sign-ins
work as for tokens), kept in an HttpOnly, SameSite=Lax cookie; its CSRF token is an HMAC of the
session secret, so nothing more is stored. Pages use the same services and the same decision
point as the API: the portal can do nothing the API would refuse.
"""

import functools
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from exchange.actions import ACTIONS, Relation
from exchange.charts import shown_value
from exchange.errors import (
    AuthenticationFailed,
    DomainError,
    Explained,
    InvalidInput,
    PermissionDenied,
)
from exchange.i18n import LANGUAGE_NAMES, Message
from exchange.identity.token_cache import TokenCache
from exchange.notifications.service import unread_count
from exchange.principal import Principal
from exchange.runtime import Platform
from exchange_api.confinement import confine
from exchange_api.errors import record_refusal
from exchange_api.portal.i18n import COOKIE, LANGUAGES, language_of, translations
from exchange_api.portal.menu import menu_for
from exchange_api.portal.times import shown_day, shown_time

SESSION_COOKIE = "exchange_session"
SESSION_DAYS = 1
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


class SignInNeeded(AuthenticationFailed):
    """Raised by pages for a visitor without a valid session; answered by a redirect."""

    code = "sign_in"


def csrf_token(session_secret: str) -> str:
    return hmac.new(session_secret.encode(), b"exchange-csrf", hashlib.sha256).hexdigest()


async def portal_user(request: Request) -> Principal:
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        raise SignInNeeded("sign in first")
    platform: Platform = request.app.state.platform
    tokens: TokenCache = request.app.state.tokens
    now = platform.clock.now()
    known = tokens.remembered(secret, now)
    if known is None:
        try:
            known = await run_in_threadpool(tokens.authenticate, secret, now)
        except AuthenticationFailed as error:
            raise SignInNeeded(error.message) from error
    principal = replace(known, client_address=request.client.host if request.client else None)
    request.state.principal = principal
    confine(principal, request.url.path)
    return principal


PortalUser = Annotated[Principal, Depends(portal_user)]


FieldValue = TypeVar("FieldValue")


class Submitted(dict[str, FieldValue]):
    """A submitted form: a field it lacks is the sender's mistake, named, not a server error."""

    def __missing__(self, key: str) -> FieldValue:
        raise InvalidInput("the form lacks the field {key}", detail={"field": key}, key=key)


async def checked_form(request: Request) -> dict[str, str]:
    """The submitted form, once its CSRF token matches the session's."""
    form = await request.form()
    secret = request.cookies.get(SESSION_COOKIE, "")
    sent = str(form.get("csrf_token", ""))
    if not secret or not hmac.compare_digest(sent, csrf_token(secret)):
        raise PermissionDenied(
            "the form has expired or did not come from this site; reload the page and try again",
            detail={"reason": "csrf"},
        )
    return Submitted({key: str(value) for key, value in form.multi_items() if key != "csrf_token"})


async def checked_form_lists(request: Request) -> dict[str, list[str]]:
    """Like :func:`checked_form`, keeping every value of repeated fields (checkboxes)."""
    await checked_form(request)
    form = await request.form()
    lists: dict[str, list[str]] = Submitted()
    for key, value in form.multi_items():
        if key != "csrf_token":
            lists.setdefault(key, []).append(str(value))
    return lists


def form_day(text: str, field: str) -> date:
    """A date typed in a form (YYYY-MM-DD), or the error naming its field."""
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise InvalidInput(
            "{field}: give a date as YYYY-MM-DD", detail={"field": field}, field=field
        ) from error


def field(form: dict[str, list[str]], name: str, default: str = "") -> str:
    """The first value of a field of a form with repeated fields, trimmed."""
    return (form.get(name) or [default])[0].strip()


Form = Annotated[dict[str, str], Depends(checked_form)]
FormLists = Annotated[dict[str, list[str]], Depends(checked_form_lists)]


def language(request: Request) -> str:
    return language_of(request.cookies.get(COOKIE), request.query_params.get("lang"))


def say(request: Request, message: str | Message, **params: Any) -> str:
    """``message`` in the reader's language, for notices and errors a handler composes."""
    text = message if isinstance(message, Message) else Message(message, **params)
    return text.in_language(language(request))


def _shown(language: str, stored: Message | None, english: str) -> str:
    """A message the platform stored (a notification, a title) in the reader's language;
    ``english`` for records made before their message was kept."""
    return english if stored is None else stored.in_language(language)


def _may(principal: Principal | None, obj: str, action: str, relation: Relation = "other") -> bool:
    """For links and buttons: whether the action table lets the signed-in person act, as the
    services will decide; ``relation`` is their department's relation to the object shown."""
    return principal is not None and ACTIONS.allows(principal, relation, obj, action)


def _unread(platform: Platform, principal: Principal | None) -> int:
    """The signed-in person's unread messages, counted for the menu on every page."""
    if principal is None or principal.user_id is None:
        return 0
    with platform.database.transaction() as session:
        return unread_count(session, user_id=principal.user_id)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = language(request)
    gettext = translations(lang).gettext
    principal: Principal | None = getattr(request.state, "principal", None)
    secret = request.cookies.get(SESSION_COOKIE)
    platform: Platform = request.app.state.platform
    zone = platform.settings.zone
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "_": gettext,
            "shown": lambda stored, english="": _shown(lang, stored, english),
            "lang": lang,
            "when": functools.partial(shown_time, zone=zone, lang=lang),
            "day": functools.partial(shown_day, zone=zone, lang=lang),
            "other_lang": "en" if lang == "zh" else "zh",
            "chart_value": shown_value,
            "language_names": LANGUAGE_NAMES,
            "user": principal,
            "menu": menu_for(principal) if principal is not None else [],
            "unread": _unread(platform, principal),
            # Buttons for whole-city actions ask the action table, as the services do.
            "may": functools.partial(_may, principal),
            "csrf_token": csrf_token(secret) if secret else "",
            **context,
        },
        status_code=status_code,
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def attempt(
    request: Request, platform: Platform, action: Callable[[Session, Any], object]
) -> str | None:
    """Run ``action(session, workflow environment)`` in a transaction of its own, so that a
    refusal rolls all of it back; returns the refusal's message (recorded when it is one), or
    None when it was done."""
    try:
        with platform.database.transaction() as session:
            action(session, platform.workflow_environment(session))
    except (DomainError, ValueError) as error:
        return shown(request, error)
    return None


def shown(request: Request, error: Exception) -> str:
    """The message of an error a page shows inline; a refusal is recorded first, as in the API."""
    record_refusal(request, error)
    return error.in_language(language(request)) if isinstance(error, Explained) else str(error)


def done(
    request: Request, url: str, platform: Platform, action: Callable[[Session, Any], object]
) -> Response:
    """:func:`attempt`, then back to ``url`` with what happened as its notice."""
    return redirect(url, notice=attempt(request, platform, action) or say(request, "Saved"))


def redirect(url: str, *, notice: str | None = None) -> RedirectResponse:
    """See-other after a form, so reloading the next page never submits twice."""
    if notice:
        url += ("&" if "?" in url else "?") + "notice=" + quote(notice)
    return RedirectResponse(url, status_code=303)


def error_page(request: Request, status: int, error: DomainError | None, message: str) -> Response:
    if isinstance(error, SignInNeeded):
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/login?next={target}", status_code=303)
    shown = error.in_language(language(request)) if error is not None else say(request, message)
    return render(request, "error.html", status_code=status, status=status, message=shown)
