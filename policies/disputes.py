"""Disputes (R14): the consumer contests a rejection or a narrowing; the coordinating office rules
within its own deadline, upholding the provider or granting (possibly narrowed). Final once made."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange.actions import ACTIONS
from exchange.errors import Conflict, InvalidInput, NotFound
from exchange.principal import Principal
from exchange.workflow import (
    DeadlineEffect,
    DeadlineStep,
    Transition,
    Workflow,
    WorkflowEnvironment,
    take_action,
)
from policies.grants import create_grant, end_grant
from policies.models import RULING, AccessRequest, Dispute, Grant
from policies.requests import acting_on
from policies.vocab import ItemAccess, RequestState

DISPUTE = Workflow(
    name="access_dispute",
    subject_type="access_dispute",
    transitions=(
        Transition(
            "open",
            frozenset({"new"}),
            "open",
            ACTIONS.roles_for("access_request", "dispute"),
            (DeadlineStep(DeadlineEffect.START, RULING, "dispute_ruling_days"),),
        ),
        Transition(
            "uphold",
            frozenset({"open"}),
            "upheld",
            ACTIONS.roles_for("access_dispute", "rule"),
            (DeadlineStep(DeadlineEffect.STOP, RULING),),
        ),
        Transition(
            "grant",
            frozenset({"open"}),
            "granted",
            ACTIONS.roles_for("access_dispute", "rule"),
            (DeadlineStep(DeadlineEffect.STOP, RULING),),
        ),
    ),
)


def open_dispute(
    session: Session, *, actor: Principal, env: WorkflowEnvironment, request_id: int, ground: str
) -> Dispute:
    request = acting_on(
        session,
        actor,
        request_id,
        "dispute",
        explain="only the requesting department's consumers dispute its request",
    )
    if not (request.state == RequestState.REJECTED or request.narrowed):
        raise Conflict(
            "only a rejection or a narrowed approval can be disputed",
            detail={"state": request.state},
        )
    if not ground.strip():
        raise InvalidInput("state the grounds of the dispute", detail={"field": "ground"})
    if session.scalar(select(Dispute.id).where(Dispute.request_id == request_id)) is not None:
        raise Conflict(
            "request {request_id} has been disputed already; a ruling is final",
            request_id=request_id,
        )
    dispute = Dispute(
        request_id=request_id,
        state="new",
        ground=ground,
        opened_by=actor.user_id,
        opened_at=env.now,
    )
    session.add(dispute)
    session.flush()
    take_action(
        session,
        DISPUTE,
        dispute,
        "open",
        actor=actor,
        env=env,
        comment=ground,
        detail={"request": request_id},
    )
    return dispute


def rule(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    dispute_id: int,
    grant_items: list[str] | None,
    note: str,
) -> Dispute:
    """``grant_items`` None upholds the provider; a list grants those requested items, used as
    the consumer asked (whole, masked or verify), in place of the narrowed approval's grant."""
    # The role first: whoever may not rule learns nothing of which disputes exist.
    ACTIONS.require(
        actor, "other", "access_dispute", "rule", explain="the coordinating office rules disputes"
    )
    dispute = session.get(Dispute, dispute_id, with_for_update=True)
    if dispute is None:
        raise NotFound("no dispute {dispute_id}", dispute_id=dispute_id)
    if not note.strip():
        raise InvalidInput("a ruling gives its reasons", detail={"field": "note"})
    request = session.get_one(AccessRequest, dispute.request_id)
    if grant_items is None:
        take_action(session, DISPUTE, dispute, "uphold", actor=actor, env=env, comment=note)
    else:
        extra = sorted(set(grant_items) - set(request.items))
        if extra or not grant_items:
            raise InvalidInput(
                "grant requested items only; not requested: {extra}",
                extra=", ".join(extra) or "(none)",
            )
        take_action(
            session,
            DISPUTE,
            dispute,
            "grant",
            actor=actor,
            env=env,
            comment=note,
            detail={"items": grant_items},
        )
        _supersede(session, actor, env, request, dispute)
        asked = {i: a for i, a in (request.item_access or {}).items() if i in grant_items}
        create_grant(
            session,
            actor=actor,
            now=env.now,
            consumer_department_id=request.consumer_department_id,
            resource_id=request.resource_id,
            items=grant_items,
            mode=request.mode,
            item_access=asked or None,
            verify_quota=request.verify_quota or env.settings.verify_daily_quota
            if ItemAccess.VERIFY in asked.values()
            else None,
            purpose=f"{request.purpose_code}: {request.purpose}",
            row_filter=None,
            valid_to=request.expires_at,
            basis="ruling",
            request_id=request.id,
            citation=request.duty_basis,
        )
        dispute.granted_items = sorted(grant_items)
    dispute.ruled_by, dispute.ruled_at, dispute.ruling_note = actor.user_id, env.now, note
    return dispute


def _supersede(
    session: Session,
    actor: Principal,
    env: WorkflowEnvironment,
    request: AccessRequest,
    dispute: Dispute,
) -> None:
    """The narrowed approval's grant ends where the ruling's begins: two grants of one request
    would leave which of them a read falls under to chance."""
    for grant in session.scalars(
        select(Grant).where(Grant.request_id == request.id, Grant.revoked_at.is_(None))
    ):
        end_grant(
            session,
            actor=actor,
            now=env.now,
            grant=grant,
            reason=f"superseded by the ruling on dispute {dispute.id}",
        )
