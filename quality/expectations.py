"""The checks a data steward adds to a resource's generated suite (R18): add one, make it blocking
(a failing snapshot is then quarantined) or not, remove it. Each change is audited; a removed
check stays in the history of the suite."""

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from catalog.entries import get_resource
from exchange import audit
from exchange.errors import InvalidInput, NotFound
from exchange.principal import Principal
from quality.comparisons import require_steward
from quality.models import StewardExpectation
from quality.suites import steward_check
from quality.validation import suite_for


def add_expectation(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    code: str,
    kind: str,
    column: str,
    params: dict[str, Any],
    blocking: bool,
    description: str,
) -> StewardExpectation:
    require_steward(actor)
    resource = get_resource(session, code)
    if len(description.strip()) < 2:
        raise InvalidInput("say what the check is for", detail={"field": "description"})
    names = [c.columns[0] for c in suite_for(session, resource) if c.kind == "type"]
    steward_check(kind, column, params, blocking, names)
    expectation = StewardExpectation(
        resource_id=resource.id, kind=kind, column=column, params=params, blocking=blocking,
        description=description.strip(), added_by=actor.user_id, added_at=now,
    )  # fmt: skip
    session.add(expectation)
    session.flush()
    audit.record(
        session, at=now, actor=actor, action="quality.expectation.add", object_type="resource",
        object_id=code, detail={"id": expectation.id, "kind": kind, "column": column,
                                "params": params, "blocking": blocking},
    )  # fmt: skip
    return expectation


def _active(session: Session, expectation_id: int) -> StewardExpectation:
    expectation = session.get(StewardExpectation, expectation_id, with_for_update=True)
    if expectation is None or expectation.removed_at is not None:
        raise NotFound("no check {expectation_id}", expectation_id=expectation_id)
    return expectation


def set_blocking(
    session: Session, *, actor: Principal, now: datetime, expectation_id: int, blocking: bool
) -> StewardExpectation:
    require_steward(actor)
    expectation = _active(session, expectation_id)
    expectation.blocking = blocking
    audit.record(
        session, at=now, actor=actor, action="quality.expectation.blocking",
        object_type="quality_expectation", object_id=expectation_id,
        detail={"blocking": blocking},
    )  # fmt: skip
    return expectation


def remove_expectation(
    session: Session, *, actor: Principal, now: datetime, expectation_id: int
) -> None:
    require_steward(actor)
    expectation = _active(session, expectation_id)
    expectation.removed_at = now
    audit.record(
        session, at=now, actor=actor, action="quality.expectation.remove",
        object_type="quality_expectation", object_id=expectation_id,
    )  # fmt: skip
