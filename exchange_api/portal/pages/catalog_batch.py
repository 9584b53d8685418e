"""A selection of entries submitted or approved at once, as after importing a department's whole
catalog (R1). Each entry still goes through its own step, in its own transaction, with its own
audit record: one that is refused leaves the others done, and the notice says which and why."""

import functools
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from catalog import entries, lifecycle
from catalog.vocab import VersionState
from exchange.errors import InvalidInput
from exchange_api.deps import AppPlatform, DbSession
from exchange_api.portal.web import FormLists, PortalUser, attempt, redirect, render, say

router = APIRouter(include_in_schema=False)
MAX_SELECTED = 500


@router.get("/catalog/drafts")
def drafts(request: Request, actor: PortalUser, session: DbSession) -> Response:
    """The department's drafts and returned entries, to submit for review."""
    waiting = entries.department_versions(
        session, actor.department_id, [VersionState.DRAFT, VersionState.RETURNED]
    )
    return render(request, "catalog_drafts.html", waiting=waiting)


@router.post("/catalog/drafts/submit")
def submit_selected(
    request: Request, form: FormLists, actor: PortalUser, platform: AppPlatform
) -> Response:
    return _each(request, form, platform, "/catalog/drafts",
                 lambda session, env, code: lifecycle.submit(
                     session, actor=actor, env=env, code=code))  # fmt: skip


@router.post("/catalog/review/approve")
def approve_selected(
    request: Request, form: FormLists, actor: PortalUser, platform: AppPlatform
) -> Response:
    return _each(request, form, platform, "/catalog/review",
                 lambda session, env, code: lifecycle.approve(
                     session, actor=actor, env=env, code=code))  # fmt: skip


def _one(step: Callable[[Any, Any, str], object], code: str, session: Any, env: Any) -> object:
    return step(session, env, code)


def _each(
    request: Request,
    form: dict[str, list[str]],
    platform: AppPlatform,
    back: str,
    step: Callable[[Any, Any, str], object],
) -> Response:
    codes = list(dict.fromkeys(form.get("code", [])))
    if not codes:
        raise InvalidInput("select at least one entry")
    if len(codes) > MAX_SELECTED:
        raise InvalidInput("select at most {limit} entries at once", limit=MAX_SELECTED)
    refused = []
    for code in codes:
        problem = attempt(request, platform, functools.partial(_one, step, code))
        if problem:
            refused.append(f"{code}: {problem}")
    notice = say(request, "Done for {done} of {total} entries", done=len(codes) - len(refused),
                 total=len(codes))  # fmt: skip
    if refused:
        notice += " · " + say(request, "not done") + ": " + "; ".join(refused[:20])
    return redirect(back, notice=notice)
