"""Gated access over HTTP (R13-R15): requests, the provider's review, disputes and grants."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Resource
from exchange.errors import NotFound
from exchange.identity.visibility import Records, own_only
from exchange.principal import Principal
from exchange.workflow.engine import history
from exchange_api.deps import AppPlatform, BureauAdmin, CurrentPrincipal, DbSession
from exchange_api.errors import ERROR_RESPONSES
from exchange_api.schemas.access import (
    Approval,
    DisputeOpened,
    DisputePublic,
    DisputeRuled,
    GrantPublic,
    Rejection,
    RequestCreate,
    RequestPublic,
    Review,
    Ruling,
    StatutoryGrant,
    Text,
)
from exchange_api.schemas.common import WorkflowStep
from policies import disputes, grants, requests
from policies.models import AccessRequest, Dispute, Grant
from policies.requests import RequestDraft
from policies.vocab import LABELS_ZH, Purpose, RejectReason, SharingMode

router = APIRouter(prefix="/api/v1/access", tags=["access"], responses=ERROR_RESPONSES)


def _public(session: Session, request: AccessRequest) -> RequestPublic:
    code = session.get_one(Resource, request.resource_id).code
    return RequestPublic.model_validate(request).model_copy(update={"resource_code": code})


def _env(session: Session, platform: Any) -> Any:
    return platform.workflow_environment(session)


@router.get(
    "/vocabularies", summary="Purposes, sharing modes and rejection reasons, with Chinese labels"
)
def vocabularies(_: CurrentPrincipal) -> dict[str, dict[str, str]]:
    return {
        kind.__name__: {m.value: LABELS_ZH[m] for m in kind}
        for kind in (Purpose, SharingMode, RejectReason)
    }


@router.post(
    "/requests", status_code=status.HTTP_201_CREATED, summary="Request conditional items (R14)"
)
def file_request(
    body: RequestCreate, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> RequestPublic:
    draft = RequestDraft(
        code=body.resource_code,
        items=body.items,
        purpose_code=body.purpose_code,
        purpose=body.purpose,
        duty_basis=body.duty_basis,
        mode=body.mode,
        period_from=body.period_from,
        period_to=body.period_to,
        access=dict(body.access),
    )
    return _public(
        session,
        requests.file_request(session, actor=actor, env=_env(session, platform), draft=draft),
    )


@router.get(
    "/requests",
    summary="My department's requests (side=consumer) or those it must decide (side=provider)",
)
def list_requests(
    actor: CurrentPrincipal,
    session: DbSession,
    side: Annotated[str, Query(pattern="^(consumer|provider)$")] = "consumer",
    state: str | None = None,
) -> list[RequestPublic]:
    column = (
        AccessRequest.consumer_department_id
        if side == "consumer"
        else AccessRequest.provider_department_id
    )
    query = (
        select(AccessRequest).where(column == actor.department_id).order_by(AccessRequest.id.desc())
    )
    if state:
        query = query.where(AccessRequest.state == state)
    return [_public(session, r) for r in session.scalars(query.limit(500))]


@router.get(
    "/requests/{request_id}",
    summary="One request (its two departments, the coordinating office, the bureau)",
)
def read_request(request_id: int, actor: CurrentPrincipal, session: DbSession) -> RequestPublic:
    return _public(session, requests.get_request(session, request_id, actor))


@router.get("/requests/{request_id}/history", summary="Every step of a request")
def request_history(
    request_id: int, actor: CurrentPrincipal, session: DbSession
) -> list[WorkflowStep]:
    requests.get_request(session, request_id, actor)
    return [
        WorkflowStep.of(event)
        for event in history(session, subject_type="access_request", subject_id=request_id)
    ]


@router.post(
    "/requests/{request_id}/approve",
    summary="Approve, possibly narrowed (provider's data reviewer)",
)
def approve(
    request_id: int,
    body: Approval,
    actor: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
) -> RequestPublic:
    request = requests.approve(
        session,
        actor=actor,
        env=_env(session, platform),
        request_id=request_id,
        items=body.items,
        mode=body.mode,
        expires_at=body.expires_at,
        row_filter=body.row_filter,
        note=body.note,
        access=body.access,
        verify_quota=body.verify_quota,
    )
    return _public(session, request)


@router.post("/requests/{request_id}/reject", summary="Reject with a coded reason and text")
def reject(
    request_id: int,
    body: Rejection,
    actor: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
) -> RequestPublic:
    request = requests.reject(
        session,
        actor=actor,
        env=_env(session, platform),
        request_id=request_id,
        code=body.code,
        reason=body.reason,
    )
    return _public(session, request)


@router.post(
    "/requests/{request_id}/ask-info",
    summary="Ask the requester for information (pauses the clock)",
)
def ask_info(
    request_id: int, body: Text, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> RequestPublic:
    request = requests.ask_info(
        session,
        actor=actor,
        env=_env(session, platform),
        request_id=request_id,
        question=body.text,
    )
    return _public(session, request)


@router.post(
    "/requests/{request_id}/answer", summary="Answer the provider's question (the clock resumes)"
)
def answer(
    request_id: int, body: Text, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> RequestPublic:
    request = requests.answer(
        session, actor=actor, env=_env(session, platform), request_id=request_id, text=body.text
    )
    return _public(session, request)


@router.post("/requests/{request_id}/withdraw", summary="Withdraw a request not yet decided")
def withdraw(
    request_id: int, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> RequestPublic:
    return _public(
        session,
        requests.withdraw(session, actor=actor, env=_env(session, platform), request_id=request_id),
    )


@router.post(
    "/requests/{request_id}/confidentiality-review",
    summary="保密审查 of a sensitive resource's approval",
)
def confidentiality_review(
    request_id: int,
    body: Review,
    actor: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
) -> RequestPublic:
    request = requests.confidentiality_review(
        session,
        actor=actor,
        env=_env(session, platform),
        request_id=request_id,
        cleared=body.cleared,
        note=body.note,
    )
    return _public(session, request)


@router.post(
    "/requests/{request_id}/disputes",
    status_code=status.HTTP_201_CREATED,
    summary="Dispute a rejection or narrowing before the coordinating office",
)
def open_dispute(
    request_id: int, body: Text, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> DisputeOpened:
    dispute = disputes.open_dispute(
        session, actor=actor, env=_env(session, platform), request_id=request_id, ground=body.text
    )
    return DisputeOpened(id=dispute.id, state=dispute.state, request_id=request_id)


@router.get("/disputes", summary="Disputes: the coordinating office's queue, or my department's")
def list_disputes(
    actor: CurrentPrincipal, session: DbSession, state: str | None = "open"
) -> list[DisputePublic]:
    query = select(Dispute, AccessRequest).join(
        AccessRequest, AccessRequest.id == Dispute.request_id
    )
    mine = own_only(
        actor, Records.DISPUTE,
        AccessRequest.consumer_department_id, AccessRequest.provider_department_id,
    )  # fmt: skip
    if mine is not None:
        query = query.where(mine)
    if state:
        query = query.where(Dispute.state == state)
    return [
        DisputePublic(
            id=d.id, request_id=d.request_id, state=d.state, ground=d.ground,
            opened_at=d.opened_at, ruling_note=d.ruling_note, granted_items=d.granted_items,
            requested_items=r.items,
        )
        for d, r in session.execute(query.order_by(Dispute.id))
    ]  # fmt: skip


@router.post(
    "/disputes/{dispute_id}/ruling", summary="Rule on a dispute (coordinating office); final"
)
def rule(
    dispute_id: int,
    body: Ruling,
    actor: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
) -> DisputeRuled:
    dispute = disputes.rule(
        session,
        actor=actor,
        env=_env(session, platform),
        dispute_id=dispute_id,
        grant_items=body.grant_items,
        note=body.note,
    )
    return DisputeRuled(id=dispute.id, state=dispute.state, granted_items=dispute.granted_items)


def _visible_grants(session: Session, actor: Principal, side: str) -> list[Grant]:
    query = select(Grant).order_by(Grant.id.desc())
    if side == "consumer":
        query = query.where(Grant.consumer_department_id == actor.department_id)
    else:
        query = query.join(Resource, Resource.id == Grant.resource_id).where(
            Resource.provider_department_id == actor.department_id
        )
    return list(session.scalars(query.limit(1000)))


@router.get(
    "/grants", summary="Grants my department holds (side=consumer) or has given (side=provider)"
)
def list_grants(
    actor: CurrentPrincipal,
    session: DbSession,
    side: Annotated[str, Query(pattern="^(consumer|provider)$")] = "consumer",
) -> list[GrantPublic]:
    return [GrantPublic.model_validate(g) for g in _visible_grants(session, actor, side)]


@router.post(
    "/grants/statutory",
    status_code=status.HTTP_201_CREATED,
    summary="Record a statutory grant (R4, bureau)",
)
def statutory_grant(
    body: StatutoryGrant, actor: BureauAdmin, session: DbSession, platform: AppPlatform
) -> GrantPublic:
    grant = grants.statutory_grant(
        session,
        actor=actor,
        now=platform.clock.now(),
        code=body.resource_code,
        consumer_code=body.consumer_department_code,
        items=body.items,
        citation=body.citation,
        purpose=body.purpose,
        valid_to=body.valid_to,
    )
    return GrantPublic.model_validate(grant)


@router.post(
    "/grants/{grant_id}/revoke", summary="Revoke a grant with a reason (provider or bureau)"
)
def revoke(
    grant_id: int, body: Text, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> GrantPublic:
    if session.get(Grant, grant_id) is None:
        raise NotFound("no grant {grant_id}", grant_id=grant_id)
    grant = grants.revoke_grant(
        session, actor=actor, now=platform.clock.now(), grant_id=grant_id, reason=body.text
    )
    return GrantPublic.model_validate(grant)
