"""The bureau's search synonyms (R12): the built-in groups, and the groups it adds, one per line."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from catalog import synonyms
from exchange.actions import ACTIONS
from exchange_api.deps import AppPlatform, DbSession
from exchange_api.portal.web import Form, PortalUser, attempt, redirect, render, say

router = APIRouter(include_in_schema=False)


@router.get("/admin/synonyms")
def synonyms_page(request: Request, actor: PortalUser, session: DbSession) -> Response:
    ACTIONS.require(actor, "other", "catalog", "govern")
    added = "\n".join("，".join(group) for group in synonyms.added_groups(session))
    return render(request, "synonyms.html", built_in=synonyms.BUILT_IN, text=added)


@router.post("/admin/synonyms")
def save_synonyms(
    request: Request, form: Form, actor: PortalUser, platform: AppPlatform
) -> Response:
    text = form.get("groups", "")
    refused = attempt(
        request, platform,
        lambda session, _env: synonyms.replace_groups(
            session, actor=actor, text=text, now=platform.clock.now()
        ),
    )  # fmt: skip
    if refused:
        return render(
            request, "synonyms.html", status_code=400, built_in=synonyms.BUILT_IN, text=text,
            error=refused,
        )  # fmt: skip
    return redirect("/admin/synonyms", notice=say(request, "Saved"))
