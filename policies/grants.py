"""Grants: what a consumer department may read. They expire on their own and can be revoked."""

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from catalog.entries import get_resource, published_version
from catalog.models import Resource
from exchange import audit
from exchange.actions import ACTIONS, relation_of
from exchange.errors import Conflict, InvalidInput, NotFound
from exchange.identity.service import get_department
from exchange.policy_changes import announce
from exchange.principal import Principal
from policies.models import Grant
from policies.vocab import SharingMode


def create_grant(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    consumer_department_id: int,
    resource_id: int,
    items: list[str],
    mode: str,
    purpose: str,
    row_filter: dict[str, Any] | None,
    valid_to: datetime | None,
    basis: str,
    request_id: int | None = None,
    citation: str | None = None,
    valid_from: datetime | None = None,
    item_access: dict[str, str] | None = None,
    verify_quota: int | None = None,
) -> Grant:
    """A grant in force from ``valid_from`` (the period a request asked for) or now, whichever
    is later: a grant never reaches back before it was given. Its basis (statutory, approval,
    ruling) and citation (the law; for a request, the duty the consumer invoked) go into its
    audit record, which must show on its own why access opened (R16)."""
    starts = now if valid_from is None else max(now, valid_from)
    grant = Grant(
        consumer_department_id=consumer_department_id,
        resource_id=resource_id,
        items=sorted(items),
        mode=mode,
        item_access=item_access,
        verify_quota=verify_quota,
        pseudonym_key=secrets.token_hex(16),
        purpose=purpose,
        row_filter=row_filter,
        valid_from=starts,
        valid_to=valid_to,
        basis=basis,
        request_id=request_id,
        citation=citation,
        created_at=now,
        created_by=actor.username,
    )
    session.add(grant)
    session.flush()
    announce(session, "grant", grant.id)
    audit.record(
        session,
        at=now,
        actor=actor,
        action="grant.create",
        object_type="grant",
        object_id=grant.id,
        grant_id=grant.id,
        request_id=request_id,
        purpose=purpose,
        detail={
            "items": grant.items,
            "mode": mode,
            "access": item_access,
            "verify_quota": verify_quota,
            "basis": basis,
            "citation": citation,
            "valid_from": starts.isoformat(),
            "valid_to": valid_to.isoformat() if valid_to else None,
        },
    )
    return grant


def statutory_grant(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    code: str,
    consumer_code: str,
    items: list[str],
    citation: str,
    purpose: str,
    valid_to: datetime | None = None,
) -> Grant:
    """R4: a law requires sharing with this department, whatever the items' class; the bureau records it."""
    ACTIONS.require(
        actor,
        "other",
        "grant",
        "create_statutory",
        explain="only the bureau's administrators record statutory grants",
    )
    if not citation.strip():
        raise InvalidInput(
            "a statutory grant cites the law that requires it", detail={"field": "citation"}
        )
    resource = get_resource(session, code)
    version = published_version(session, resource)
    if version is None:
        raise Conflict("entry {code} is not published", code=code)
    unknown = sorted(set(items) - {i.name for i in version.items})
    if unknown or not items:
        raise InvalidInput(
            "not items of {code}: {unknown}",
            detail={"items": unknown},
            code=code,
            unknown=", ".join(unknown) or "(none given)",
        )
    consumer = get_department(session, consumer_code)
    return create_grant(
        session,
        actor=actor,
        now=now,
        consumer_department_id=consumer.id,
        resource_id=resource.id,
        items=items,
        mode=SharingMode.API_QUERY,
        purpose=purpose,
        row_filter=None,
        valid_to=valid_to,
        basis="statutory",
        citation=citation,
    )


def revoke_grant(
    session: Session, *, actor: Principal, now: datetime, grant_id: int, reason: str
) -> Grant:
    """The provider or the bureau withdraws a grant, with a reason; it stops at once."""
    grant = session.get(Grant, grant_id)
    if grant is None:
        raise NotFound("no grant {grant_id}", grant_id=grant_id)
    provider_id = session.get_one(Resource, grant.resource_id).provider_department_id
    ACTIONS.require(
        actor,
        relation_of(actor, provider_id=provider_id, consumer_id=grant.consumer_department_id),
        "grant",
        "revoke",
        explain="grants are revoked by the provider's data reviewers or the bureau",
    )
    if not reason.strip():
        raise InvalidInput("revoking a grant needs a reason", detail={"field": "reason"})
    if grant.revoked_at is not None:
        raise Conflict("grant {grant_id} was revoked already", grant_id=grant_id)
    end_grant(session, actor=actor, now=now, grant=grant, reason=reason)
    return grant


def end_grant(
    session: Session, *, actor: Principal, now: datetime, grant: Grant, reason: str
) -> None:
    """Stop a grant now, on the record; the caller has decided it may."""
    grant.revoked_at, grant.revoked_by, grant.revoke_reason = now, actor.username, reason
    announce(session, "grant", grant.id)
    audit.record(
        session,
        at=now,
        actor=actor,
        action="grant.revoke",
        object_type="grant",
        object_id=grant.id,
        grant_id=grant.id,
        detail={"reason": reason},
    )


def active_grants(
    session: Session, *, consumer_department_id: int, resource_id: int, at: datetime
) -> list[Grant]:
    return list(
        session.scalars(
            select(Grant).where(
                Grant.consumer_department_id == consumer_department_id,
                Grant.resource_id == resource_id,
                Grant.revoked_at.is_(None),
                Grant.valid_from <= at,
                or_(Grant.valid_to.is_(None), Grant.valid_to > at),
            )
        )
    )
