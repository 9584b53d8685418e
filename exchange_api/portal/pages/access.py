"""Access pages: the request form, my department's requests, the data reviewer's inbox with its
decisions, and my department's grants. Every action goes through policies.requests, exactly as
the API's do."""

from datetime import datetime, time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import or_, select

from catalog import entries
from catalog.models import Resource
from catalog.vocab import ShareType
from exchange.actions import ACTIONS, relation_of
from exchange.deadlines.service import find_open_deadline
from exchange.errors import DomainError, InvalidInput
from exchange.identity.models import Department
from exchange.runtime import Platform
from exchange.workdays.deadline import working_days_left
from exchange.workdays.spans import add_months
from exchange.workflow.engine import history
from exchange.worklist.service import acknowledge
from exchange_api.deps import AppPlatform, DbSession
from exchange_api.portal.paging import page_of
from exchange_api.portal.web import (
    FormLists,
    PortalUser,
    attempt,
    field,
    form_day,
    redirect,
    render,
    say,
    shown,
)
from policies import requests
from policies.models import REVIEW, AccessRequest, Grant
from policies.requests import RequestDraft
from policies.vocab import (
    ACCESS_ORDER,
    LABELS_ZH,
    ItemAccess,
    Purpose,
    RejectReason,
    RequestState,
    SharingMode,
    access_of,
)

router = APIRouter(include_in_schema=False)
VOCAB: dict[str, Any] = {
    "purposes": list(Purpose),
    "modes": list(SharingMode),
    "reasons": list(RejectReason),
    "accesses": list(ItemAccess),
}


def _access(form: dict[str, list[str]], items: list[str]) -> dict[str, str]:
    """How each chosen item is used, from its ``access_<item>`` field (read when absent)."""
    return {item: field(form, f"access_{item}", ItemAccess.READ) for item in items}


def _request_form(request: Request, session: Any, code: str, **more: Any) -> Response:
    resource = session.get_one(Resource, entries.get_resource(session, code).id)
    version = entries.published_version(session, resource)
    conditional = [
        i for i in (version.items if version else []) if i.share_type == ShareType.CONDITIONAL
    ]
    return render(
        request, "request_form.html", resource=resource, version=version, items=conditional,
        labels=LABELS_ZH, **VOCAB, **more,
    )  # fmt: skip


@router.get("/access/requests/new")
def new_request(request: Request, resource: str, actor: PortalUser, session: DbSession) -> Response:
    entries.visible_resource(session, resource, actor)
    # A year from today in the city, the span most requests ask for; the consumer may change it.
    platform: Platform = request.app.state.platform
    today = platform.clock.now().astimezone(platform.settings.zone).date()
    period = {"period_from": [today.isoformat()], "period_to": [add_months(today, 12).isoformat()]}
    return _request_form(request, session, resource, form=period)


# Forms write in a transaction of their own: a refusal rolls all of it back, and the page that
# shows the refusal is read afresh.
@router.post("/access/requests")
def file_request(
    request: Request, actor: PortalUser, form: FormLists, platform: AppPlatform
) -> Response:
    code = field(form, "resource")
    try:
        draft = RequestDraft(
            code=code,
            items=form.get("items", []),
            purpose_code=Purpose(field(form, "purpose_code", "other")),
            purpose=field(form, "purpose"),
            duty_basis=field(form, "duty_basis"),
            mode=SharingMode(field(form, "mode", "api_query")),
            period_from=form_day(field(form, "period_from"), "period_from"),
            period_to=form_day(field(form, "period_to"), "period_to"),
            access=_access(form, form.get("items", [])),  # type: ignore[arg-type]
        )
        with platform.database.transaction() as session:
            filed = requests.file_request(
                session, actor=actor, env=platform.workflow_environment(session), draft=draft
            )
    except (DomainError, ValueError) as error:
        message = shown(request, error)
        with platform.database.transaction() as session:
            return _request_form(request, session, code, form=form, error=message)
    return redirect(f"/access/requests/{filed.id}", notice=say(request, "Request filed"))


@router.get("/access/requests")
def my_requests(request: Request, actor: PortalUser, session: DbSession) -> Response:
    rows, pages = page_of(
        session, request,
        select(AccessRequest, Resource.code)
        .join(Resource, Resource.id == AccessRequest.resource_id)
        .where(AccessRequest.consumer_department_id == actor.department_id)
        .order_by(AccessRequest.id.desc()),
    )  # fmt: skip
    return render(
        request, "requests.html", rows=rows, title_key="My department's requests",
        labels=LABELS_ZH, paging=pages,
    )  # fmt: skip


@router.get("/access/inbox")
def inbox(request: Request, actor: PortalUser, session: DbSession) -> Response:
    waiting = [
        RequestState.SUBMITTED,
        RequestState.AWAITING_INFO,
        RequestState.CONFIDENTIALITY_REVIEW,
    ]
    rows, pages = page_of(
        session, request,
        select(AccessRequest, Resource.code)
        .join(Resource, Resource.id == AccessRequest.resource_id)
        .where(
            AccessRequest.provider_department_id == actor.department_id,
            AccessRequest.state.in_([str(s) for s in waiting]),
        )
        .order_by(AccessRequest.id),
    )  # fmt: skip
    return render(
        request, "requests.html", rows=rows, title_key="Review inbox", labels=LABELS_ZH,
        paging=pages,
    )  # fmt: skip


@router.get("/access/requests/{request_id}")
def request_page(
    request: Request,
    request_id: int,
    actor: PortalUser,
    session: DbSession,
    platform: AppPlatform,
    error: str | None = None,
) -> Response:
    found = requests.get_request(session, request_id, actor)
    if actor.user_id is not None:
        link = f"/access/requests/{request_id}"
        acknowledge(session, link=link, user_id=actor.user_id, now=platform.clock.now())
    resource = session.get_one(Resource, found.resource_id)
    departments = dict(session.execute(select(Department.id, Department.name)).all())
    # The buttons are what the workflow opens from this state to the actor's roles (their roles
    # come from the action table), on the actor's side of the request.
    relation = relation_of(
        actor, provider_id=found.provider_department_id, consumer_id=found.consumer_department_id
    )
    open_now = set(requests.ACCESS_REQUEST.actions_from(found.state, actor.roles))
    # The reviewer may keep each item's use as asked or narrow it, never widen it.
    narrowings = {
        name: ACCESS_ORDER[ACCESS_ORDER.index(access_of(found.item_access, name)) :]
        for name in found.items
    }
    readable = [
        name
        for name in found.approved_items or []
        if access_of(found.approved_access, name) != ItemAccess.VERIFY
    ]
    provider_side, consumer_side = relation == "provider", relation == "consumer"
    review = find_open_deadline(
        session, kind=REVIEW, subject_type="access_request", subject_id=found.id
    )
    days_left = (
        working_days_left(platform.clock.now(), review.due_date, platform.calendar(session))
        if review is not None else None
    )  # fmt: skip
    published = entries.published_version(session, resource)
    conditions = {i.name: i.share_condition for i in published.items} if published else {}
    return render(
        request, "request.html", item=found, resource=resource, departments=departments,
        events=history(session, subject_type="access_request", subject_id=found.id),
        may_decide=provider_side and "approve" in open_now,
        may_answer=consumer_side and "answer" in open_now,
        may_clear=provider_side and "clear" in open_now,
        may_withdraw=consumer_side and "withdraw" in open_now,
        may_dispute=consumer_side
        and ACTIONS.allows(actor, relation, "access_request", "dispute")
        and (found.state == RequestState.REJECTED or found.narrowed),
        narrowings=narrowings, readable=readable, labels=LABELS_ZH, error=error, **VOCAB,
        item_labels=entries.item_labels(session, resource), review=review, days_left=days_left,
        conditions=conditions,
    )  # fmt: skip


@router.post("/access/requests/{request_id}/{action}")
def decide(
    request: Request, request_id: int, action: str, actor: PortalUser, form: FormLists,
    platform: AppPlatform,
) -> Response:  # fmt: skip
    refused = attempt(
        request, platform, lambda s, env: _take(s, actor, env, request_id, action, form)
    )
    if refused:
        with platform.database.transaction() as session:
            return request_page(request, request_id, actor, session, platform, error=refused)
    return redirect(f"/access/requests/{request_id}", notice=say(request, "Saved"))


def _take(
    session: Any, actor: Any, env: Any, request_id: int, action: str, form: dict[str, list[str]]
) -> None:
    common = {"actor": actor, "env": env, "request_id": request_id}
    if action == "approve":
        if field(form, "confirmed") != "yes":
            raise InvalidInput(
                "confirm that you checked the purpose and the legal basis before approving",
                detail={"field": "confirmed"},
            )
        expires = field(form, "expires_on")
        approved = form.get("items") or []
        quota = field(form, "verify_quota")
        requests.approve(
            session, **common, items=approved or None,
            access=_access(form, approved) if approved else None,
            verify_quota=int(quota) if quota.isdigit() else None,
            mode=SharingMode(field(form, "mode")) if field(form, "mode") else None,
            expires_at=datetime.combine(form_day(expires, "expires_on"), time.max, tzinfo=env.calendar.zone) if expires else None,
            note=field(form, "note") or None,
        )  # fmt: skip
    elif action == "reject":
        requests.reject(
            session,
            **common,
            code=RejectReason(field(form, "code", "other")),
            reason=field(form, "reason"),
        )
    elif action == "ask":
        requests.ask_info(session, **common, question=field(form, "question"))
    elif action == "answer":
        requests.answer(session, **common, text=field(form, "text"))
    elif action == "withdraw":
        requests.withdraw(session, **common)
    elif action == "review":
        requests.confidentiality_review(
            session, **common, cleared=field(form, "cleared") == "yes", note=field(form, "note")
        )
    else:
        raise InvalidInput("no action {action!r} on a request", action=action)


@router.get("/access/grants")
def grants_page(
    request: Request, actor: PortalUser, session: DbSession, platform: AppPlatform
) -> Response:
    now = platform.clock.now()
    rows, pages = page_of(
        session, request,
        select(Grant, Resource.code)
        .join(Resource, Resource.id == Grant.resource_id)
        .where(or_(Grant.consumer_department_id == actor.department_id,
                   Resource.provider_department_id == actor.department_id))
        .order_by(Grant.id.desc()),
    )  # fmt: skip
    departments = dict(session.execute(select(Department.id, Department.name)).all())
    return render(
        request, "grants.html", rows=rows, now=now, departments=departments, labels=LABELS_ZH,
        paging=pages,
    )  # fmt: skip
