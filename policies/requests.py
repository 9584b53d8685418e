"""Requests for conditional data (R14): filed by a consumer with a purpose, decided by the provider's
data reviewer within 3 working days (a setting), escalated to the coordinating office when late.

Items are asked for whole, masked or for verification only (R3 "in specific ways"). Approval may
narrow the items or how they are used, change the mode, set an expiry, a row filter or a daily
verification quota. A resource marked
sensitive goes through a confidentiality review before access opens. A rejection carries a coded
reason and text. Asking the consumer for information pauses the clock.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from catalog.entries import get_resource, published_version
from catalog.models import Resource
from catalog.vocab import ResourceStatus, ShareType
from exchange import fault_points
from exchange.actions import ACTIONS, relation_of
from exchange.errors import Conflict, InvalidInput, PermissionDenied, not_found
from exchange.identity.roles import Role
from exchange.identity.visibility import Records, sees_all
from exchange.principal import Principal
from exchange.workflow import (
    DeadlineEffect,
    DeadlineStep,
    Transition,
    Workflow,
    WorkflowEnvironment,
    take_action,
)
from policies.grants import create_grant
from policies.models import REVIEW, AccessRequest
from policies.vocab import (
    ACCESS_ORDER,
    ItemAccess,
    Purpose,
    RejectReason,
    RequestState,
    SharingMode,
    access_of,
)

S = RequestState
_start, _stop = (
    DeadlineStep(DeadlineEffect.START, REVIEW, "access_review_days"),
    DeadlineStep(DeadlineEffect.STOP, REVIEW),
)


def _roles(action: str) -> frozenset[Role]:
    return ACTIONS.roles_for("access_request", action)


ACCESS_REQUEST = Workflow(
    name="access_request",
    subject_type="access_request",
    transitions=(
        Transition("submit", frozenset({S.NEW}), S.SUBMITTED, _roles("file"), (_start,)),
        Transition(
            "ask_info",
            frozenset({S.SUBMITTED}),
            S.AWAITING_INFO,
            _roles("ask_info"),
            (DeadlineStep(DeadlineEffect.PAUSE, REVIEW),),
        ),
        Transition(
            "answer",
            frozenset({S.AWAITING_INFO}),
            S.SUBMITTED,
            _roles("answer"),
            (DeadlineStep(DeadlineEffect.RESUME, REVIEW),),
        ),
        Transition("approve", frozenset({S.SUBMITTED}), S.APPROVED, _roles("approve"), (_stop,)),
        Transition(
            "approve_pending_review",
            frozenset({S.SUBMITTED}),
            S.CONFIDENTIALITY_REVIEW,
            _roles("approve"),
            (_stop,),
        ),
        Transition(
            "clear",
            frozenset({S.CONFIDENTIALITY_REVIEW}),
            S.APPROVED,
            _roles("confidentiality_review"),
        ),
        Transition(
            "refuse",
            frozenset({S.CONFIDENTIALITY_REVIEW}),
            S.REJECTED,
            _roles("confidentiality_review"),
        ),
        Transition("reject", frozenset({S.SUBMITTED}), S.REJECTED, _roles("reject"), (_stop,)),
        Transition(
            "withdraw",
            frozenset({S.SUBMITTED, S.AWAITING_INFO}),
            S.WITHDRAWN,
            _roles("withdraw"),
            (_stop,),
        ),
    ),
)


@dataclass(frozen=True)
class RequestDraft:
    code: str
    items: list[str]
    purpose_code: Purpose
    purpose: str
    duty_basis: str
    mode: SharingMode
    period_from: date
    period_to: date
    # Items asked for masked or for verification only; the others are asked for whole.
    access: dict[str, ItemAccess] = field(default_factory=dict)


def file_request(
    session: Session, *, actor: Principal, env: WorkflowEnvironment, draft: RequestDraft
) -> AccessRequest:
    resource = get_resource(session, draft.code)
    version = published_version(session, resource)
    if version is None or resource.status != ResourceStatus.PUBLISHED:
        raise Conflict("entry {code} is not published: nothing to request", code=draft.code)
    if resource.provider_department_id == actor.department_id:
        raise InvalidInput("a department reads its own data without a request")
    if actor.department_id is None:
        raise PermissionDenied("requests are filed by a consumer of the requesting department")
    ACTIONS.require(
        actor,
        relation_of(actor, provider_id=resource.provider_department_id),
        "access_request",
        "file",
        explain="requests are filed by a consumer of the requesting department",
    )
    items = {i.name: i for i in version.items}
    _check_draft(draft, items)
    asked = _access_map(draft.items, draft.access, "access")
    _check_verifiable(draft.items, asked, items, "access")
    request = AccessRequest(
        resource_id=resource.id,
        provider_department_id=resource.provider_department_id,
        consumer_department_id=actor.department_id,
        requested_by=actor.user_id,
        items=sorted(set(draft.items)),
        purpose_code=draft.purpose_code,
        purpose=draft.purpose.strip(),
        duty_basis=draft.duty_basis.strip(),
        mode=draft.mode,
        item_access=asked,
        period_from=draft.period_from,
        period_to=draft.period_to,
        sensitive=version.sensitive,
        state=S.NEW,
        created_at=env.now,
    )
    session.add(request)
    session.flush()
    take_action(
        session,
        ACCESS_REQUEST,
        request,
        "submit",
        actor=actor,
        env=env,
        detail={
            "resource": draft.code,
            "items": request.items,
            "purpose": draft.purpose_code,
            "access": asked,
        },
    )
    return request


def _access_map(
    items: list[str], access: Mapping[str, str], field_name: str
) -> dict[str, str] | None:
    """The items not read whole, with their access; None when every item is read whole."""
    stray = sorted(set(access) - set(items))
    if stray:
        raise InvalidInput(
            "access is given for items not asked for: {stray}",
            detail={"field": field_name, "items": stray},
            stray=", ".join(stray),
        )
    try:
        chosen = {item: ItemAccess(value) for item, value in access.items()}
    except ValueError as error:
        raise InvalidInput(
            "an item is read, masked or verify", detail={"field": field_name}
        ) from error
    narrowed = {item: str(a) for item, a in sorted(chosen.items()) if a != ItemAccess.READ}
    return narrowed or None


def _check_verifiable(
    items: list[str], access: dict[str, str] | None, catalog: Mapping[str, Any], field_name: str
) -> None:
    """Verification looks records up by the resource's key: the key must be declared, and be
    unconditional or among the items asked for."""
    if ItemAccess.VERIFY not in (access or {}).values():
        return
    keys = [name for name, item in catalog.items() if item.is_key]
    if not keys:
        raise InvalidInput(
            "this resource declares no key, so records cannot be looked up to verify; ask to "
            "read the items, masked if need be",
            detail={"field": field_name},
        )
    missing = sorted(
        k for k in keys if k not in items and catalog[k].share_type != ShareType.UNCONDITIONAL
    )
    if missing:
        raise InvalidInput(
            "verification looks records up by the key {keys}: include it among the items",
            detail={"field": field_name, "missing": missing},
            keys=", ".join(missing),
        )


def _check_draft(draft: RequestDraft, items: dict[str, Any]) -> None:
    unknown = sorted(set(draft.items) - items.keys())
    if unknown or not draft.items:
        raise InvalidInput(
            "not data items of {code}: {unknown}",
            detail={"field": "items", "unknown": unknown},
            code=draft.code,
            unknown=", ".join(unknown) or "(none named)",
        )
    forbidden = {
        n: items[n].legal_basis for n in draft.items if items[n].share_type == ShareType.NOT_SHARED
    }
    if forbidden:
        bases = "; ".join(f"{n}: {b}" for n, b in sorted(forbidden.items()))
        raise InvalidInput(
            "these items are not shared by law and cannot be requested — {bases}",
            detail={"field": "items", "not_shared": forbidden},
            error_code="not_shared",
            bases=bases,
        )
    direct = sorted(n for n in draft.items if items[n].share_type == ShareType.UNCONDITIONAL)
    if direct:
        raise InvalidInput(
            "these items are shared unconditionally and need no request: {direct}",
            detail={"field": "items", "unconditional": direct},
            direct=", ".join(direct),
        )
    if not draft.purpose.strip() or not draft.duty_basis.strip():
        raise InvalidInput(
            "state the purpose and the duty or legal basis it serves", detail={"field": "purpose"}
        )
    if draft.period_to < draft.period_from:
        raise InvalidInput("the period ends before it starts", detail={"field": "period_to"})


def get_request(
    session: Session, request_id: int, actor: Principal, *, for_update: bool = False
) -> AccessRequest:
    """A request, for its consumer, its provider, the coordinating office and the bureau; 404 for others."""
    request = session.get(AccessRequest, request_id, with_for_update=for_update)
    if request is None or not (
        actor.department_id in (request.consumer_department_id, request.provider_department_id)
        or sees_all(actor, Records.ACCESS_REQUEST)
    ):
        raise not_found(request, "no access request {request_id}", request_id=request_id)
    return request


def acting_on(
    session: Session, actor: Principal, request_id: int, action: str, *, explain: str
) -> AccessRequest:
    """The request, locked until commit (of two reviewers deciding at once, the second sees the
    first's decision), once the action policy lets ``actor`` take ``action`` on it."""
    request = get_request(session, request_id, actor, for_update=True)
    relation = relation_of(
        actor,
        provider_id=request.provider_department_id,
        consumer_id=request.consumer_department_id,
    )
    ACTIONS.require(actor, relation, "access_request", action, explain=explain)
    return request


def _as_provider(session: Session, actor: Principal, request_id: int, action: str) -> AccessRequest:
    return acting_on(
        session,
        actor,
        request_id,
        action,
        explain="only the providing department decides its requests",
    )


def _as_consumer(session: Session, actor: Principal, request_id: int, action: str) -> AccessRequest:
    return acting_on(
        session,
        actor,
        request_id,
        action,
        explain="only the requesting department's consumers act on its request",
    )


def ask_info(
    session: Session, *, actor: Principal, env: WorkflowEnvironment, request_id: int, question: str
) -> AccessRequest:
    if not question.strip():
        raise InvalidInput("ask a question", detail={"field": "question"})
    request = _as_provider(session, actor, request_id, "ask_info")
    take_action(
        session, ACCESS_REQUEST, request, "ask_info", actor=actor, env=env, comment=question
    )
    request.info_question = question
    return request


def answer(
    session: Session, *, actor: Principal, env: WorkflowEnvironment, request_id: int, text: str
) -> AccessRequest:
    if not text.strip():
        raise InvalidInput("give an answer", detail={"field": "answer"})
    request = _as_consumer(session, actor, request_id, "answer")
    take_action(session, ACCESS_REQUEST, request, "answer", actor=actor, env=env, comment=text)
    request.info_answer = text
    return request


def withdraw(
    session: Session, *, actor: Principal, env: WorkflowEnvironment, request_id: int
) -> AccessRequest:
    request = _as_consumer(session, actor, request_id, "withdraw")
    take_action(session, ACCESS_REQUEST, request, "withdraw", actor=actor, env=env)
    return request


def approve(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    request_id: int,
    items: list[str] | None = None,
    mode: SharingMode | None = None,
    expires_at: datetime | None = None,
    row_filter: dict[str, Any] | None = None,
    note: str | None = None,
    access: Mapping[str, str] | None = None,
    verify_quota: int | None = None,
) -> AccessRequest:
    """Approve, possibly narrowed — fewer items, another mode, or items opened masked or for
    verification only rather than as asked; a sensitive resource then waits for the
    confidentiality review."""
    request = _as_provider(session, actor, request_id, "approve")
    approved = sorted(set(items)) if items is not None else list(request.items)
    extra = sorted(set(approved) - set(request.items))
    if extra or not approved:
        raise InvalidInput(
            "approve a subset of the requested items; not requested: {extra}",
            detail={"field": "items", "not_requested": extra},
            extra=", ".join(extra) or "(none left)",
        )
    version = published_version(session, session.get_one(Resource, request.resource_id))
    assert version is not None
    catalog = {i.name: i for i in version.items}
    asked = {i: access_of(request.item_access, i) for i in approved}
    given = _access_map(approved, {**asked, **(access or {})}, "access")
    widened = sorted(
        i for i in approved
        if ACCESS_ORDER.index(access_of(given, i)) < ACCESS_ORDER.index(asked[i])
    )  # fmt: skip
    if widened:
        raise InvalidInput(
            "an approval may narrow how items are used, not widen it: {items}",
            detail={"field": "access", "widened": widened},
            items=", ".join(widened),
        )
    _check_verifiable(approved, given, catalog, "access")
    if verify_quota is not None and verify_quota < 1:
        raise InvalidInput(
            "a verification quota is at least one record a day", detail={"field": "verify_quota"}
        )
    if row_filter:
        unknown = sorted(set(row_filter) - set(catalog))
        if unknown:
            raise InvalidInput(
                "the row filter names unknown items: {unknown}",
                detail={"field": "row_filter"},
                unknown=", ".join(unknown),
            )
    action = "approve_pending_review" if request.sensitive else "approve"
    take_action(
        session,
        ACCESS_REQUEST,
        request,
        action,
        actor=actor,
        env=env,
        comment=note,
        detail={
            "items": approved,
            "mode": mode or request.mode,
            "row_filter": row_filter,
            "access": given,
        },
    )
    request.approved_items, request.approved_mode, request.row_filter = (
        approved,
        mode or request.mode,
        row_filter,
    )
    request.approved_access = given
    if ItemAccess.VERIFY in (given or {}).values():
        request.verify_quota = verify_quota or env.settings.verify_daily_quota
    request.expires_at = expires_at or _end_of(request.period_to, env)
    request.decided_by, request.decided_at = actor.user_id, env.now
    if not request.sensitive:
        _open_access(session, actor, env, request)
    session.flush()
    fault_points.reached("approval.decided")  # all written, nothing committed yet
    return request


def confidentiality_review(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    request_id: int,
    cleared: bool,
    note: str,
) -> AccessRequest:
    """保密审查 by the provider's data resource administrator, after the reviewer's approval."""
    request = _as_provider(session, actor, request_id, "confidentiality_review")
    if not note.strip():
        raise InvalidInput("record the review's finding", detail={"field": "note"})
    take_action(
        session,
        ACCESS_REQUEST,
        request,
        "clear" if cleared else "refuse",
        actor=actor,
        env=env,
        comment=note,
    )
    if cleared:
        _open_access(session, actor, env, request)
    else:
        request.reject_code, request.reject_reason = RejectReason.SECURITY, note
    return request


def reject(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    request_id: int,
    code: RejectReason,
    reason: str,
) -> AccessRequest:
    if not reason.strip():
        raise InvalidInput("a rejection gives its reason (R14)", detail={"field": "reason"})
    request = _as_provider(session, actor, request_id, "reject")
    take_action(
        session,
        ACCESS_REQUEST,
        request,
        "reject",
        actor=actor,
        env=env,
        comment=reason,
        detail={"code": code},
    )
    request.reject_code, request.reject_reason = code, reason
    request.decided_by, request.decided_at = actor.user_id, env.now
    return request


def _open_access(
    session: Session, actor: Principal, env: WorkflowEnvironment, request: AccessRequest
) -> None:
    create_grant(
        session,
        actor=actor,
        now=env.now,
        consumer_department_id=request.consumer_department_id,
        resource_id=request.resource_id,
        items=request.approved_items or request.items,
        mode=request.approved_mode or request.mode,
        item_access=request.approved_access,
        verify_quota=request.verify_quota,
        purpose=f"{request.purpose_code}: {request.purpose}",
        row_filter=request.row_filter,
        valid_from=_start_of(request.period_from, env),
        valid_to=request.expires_at,
        basis="approval",
        request_id=request.id,
        citation=request.duty_basis,
    )


def _start_of(day: date, env: WorkflowEnvironment) -> datetime:
    return datetime.combine(day, time.min, tzinfo=env.calendar.zone)


def _end_of(day: date, env: WorkflowEnvironment) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=env.calendar.zone)
