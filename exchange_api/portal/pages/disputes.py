"""Disputes and usage: the consumer disputes a rejection or narrowing from its request's page;
the coordinating office rules from its queue; departments see the use of their data (R17)."""

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from catalog.models import Resource
from exchange.identity.visibility import Records, own_only
from exchange_api.deps import AppPlatform, DbSession
from exchange_api.portal.charts import chart_context, charts_answer
from exchange_api.portal.paging import PAGE_SIZE, newer_and_older, offset_of, page_of
from exchange_api.portal.web import FormLists, PortalUser, done, render
from policies import disputes
from policies.models import AccessRequest, Dispute
from policies.usage import Side, usage
from policies.usage_charts import reads_per_day
from policies.vocab import LABELS_ZH

router = APIRouter(include_in_schema=False)


@router.post("/access/requests/{request_id}/dispute")
def open_dispute(
    request: Request, request_id: int, actor: PortalUser, form: FormLists, platform: AppPlatform
) -> Response:
    ground = (form.get("ground") or [""])[0]
    return done(
        request, f"/access/requests/{request_id}", platform,
        lambda s, env: disputes.open_dispute(s, actor=actor, env=env, request_id=request_id, ground=ground),
    )  # fmt: skip


@router.get("/access/disputes")
def dispute_queue(request: Request, actor: PortalUser, session: DbSession) -> Response:
    query = (
        select(Dispute, AccessRequest, Resource.code)
        .join(AccessRequest, AccessRequest.id == Dispute.request_id)
        .join(Resource, Resource.id == AccessRequest.resource_id)
        .order_by(Dispute.id.desc())
    )
    mine = own_only(
        actor, Records.DISPUTE,
        AccessRequest.consumer_department_id, AccessRequest.provider_department_id,
    )  # fmt: skip
    rows, pages = page_of(session, request, query if mine is None else query.where(mine))
    return render(request, "disputes.html", rows=rows, paging=pages)


@router.post("/access/disputes/{dispute_id}/rule")
def rule(
    request: Request, dispute_id: int, actor: PortalUser, form: FormLists, platform: AppPlatform
) -> Response:
    note = (form.get("note") or [""])[0]
    grant = (form.get("outcome") or ["uphold"])[0] == "grant"
    items = form.get("items", []) if grant else None
    return done(
        request, "/access/disputes", platform,
        lambda s, env: disputes.rule(s, actor=actor, env=env, dispute_id=dispute_id,
                                     grant_items=items, note=note),
    )  # fmt: skip


@router.get("/access/usage")
def usage_page(
    request: Request, actor: PortalUser, session: DbSession, platform: AppPlatform,
    side: str = "provider",
) -> Response:  # fmt: skip
    chosen: Side = "consumer" if side == "consumer" else "provider"
    rows, page, older = newer_and_older(request, usage(
        session, actor=actor, side=chosen, limit=PAGE_SIZE + 1, offset=offset_of(request)
    ))  # fmt: skip
    per_day = reads_per_day(session, actor=actor, side=chosen, now=platform.clock.now(),
                            zone=platform.settings.zone)  # fmt: skip
    return render(request, "usage.html", rows=rows, side=chosen, labels=LABELS_ZH, page=page,
                  older=older,
                  **chart_context(request, [per_day], "/access/usage/charts"))  # fmt: skip


@router.get("/access/usage/charts")
def usage_charts_data(
    request: Request, actor: PortalUser, session: DbSession, platform: AppPlatform,
    side: str = "provider",
) -> Response:  # fmt: skip
    chosen: Side = "consumer" if side == "consumer" else "provider"
    per_day = reads_per_day(session, actor=actor, side=chosen, now=platform.clock.now(),
                            zone=platform.settings.zone)  # fmt: skip
    return charts_answer(request, [per_day])
