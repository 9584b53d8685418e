"""The violations register (R20): findings the platform detects each day, each with its evidence,
for the bureau to confirm or dismiss with a reason.

- ``not_provided``: a published resource whose data has never been collected (R9, R11);
- ``untrue_data``: a quality issue its department answered as corrected — the data was wrong (R19);
- ``catalog_late``: a catalog update (R7) not done within its deadline;
- ``duplicate_collection``: an item collecting an element another department is authoritative for,
  without a justification (R8);
- ``purpose_mismatch``: a read under a grant whose stated purpose shares nothing with the purpose
  the grant was approved for (R15) — a candidate, for the bureau to judge.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from catalog.governance import duplicate_collection_report
from catalog.models import CatalogUpdateTask, Resource
from catalog.search import query_tokens
from collection.freshness import freshness
from collection.vocab import Freshness
from exchange import audit
from exchange.actions import ACTIONS
from exchange.deadlines.models import Deadline
from exchange.errors import Conflict, Hidden, InvalidInput, NotFound
from exchange.i18n import Message
from exchange.identity.models import Department
from exchange.identity.visibility import Records, sees_all
from exchange.principal import Principal
from policies.models import DataUsage, Grant
from quality.issues import heading
from quality.models import QualityIssue
from supervision.models import Violation, ViolationDecision

DETECTOR = Principal.system("violation-detection")
KINDS = ("not_provided", "untrue_data", "catalog_late", "duplicate_collection", "purpose_mismatch")
DECISIONS = {
    "confirmed": Message("violation confirmed"),
    "dismissed": Message("violation dismissed"),
}


def _summary(message: Message) -> dict[str, Any]:
    """A finding's summary: in English for programs, and as a message for each reader."""
    return {"summary": message.english[:500], "summary_message": message}


def _findings(session: Session, now: datetime) -> list[Violation]:
    departments = dict(session.execute(select(Department.code, Department.id)).all())
    by_name = dict(session.execute(select(Department.name, Department.id)).all())
    found = []
    for item in freshness(session, now=now):
        if item.status == Freshness.NEVER:
            found.append(Violation(
                key=f"not_provided:{item.code}", department_id=departments[item.provider_code],
                kind="not_provided",
                **_summary(Message("{code} {name}: published, never provided",
                                   code=item.code, name=item.name)),
                evidence=[{"label": item.code, "link": f"/catalog/{item.code}"}],
            ))  # fmt: skip
    for issue, code in session.execute(
        select(QualityIssue, Resource.code)
        .join(Resource, Resource.id == QualityIssue.resource_id)
        .where(QualityIssue.answer_kind == "corrected")
    ):
        found.append(Violation(
            key=f"untrue_data:issue:{issue.id}", department_id=issue.department_id, kind="untrue_data",
            **_summary(Message("{code}: {count} values found wrong and corrected ({title})",
                               code=code, count=issue.row_count, title=heading(issue))),
            evidence=[{"label": f"quality issue {issue.id}", "link": f"/quality/issues/{issue.id}"}],
        ))  # fmt: skip
    for task, code in session.execute(
        select(CatalogUpdateTask, Resource.code)
        .join(Resource, Resource.id == CatalogUpdateTask.resource_id)
        .join(Deadline, (Deadline.subject_type == "catalog_update_task")
              & (Deadline.subject_id == cast(CatalogUpdateTask.id, String)))
        .where(Deadline.overdue_at.is_not(None))
    ):  # fmt: skip
        found.append(Violation(
            key=f"catalog_late:task:{task.id}", department_id=task.provider_department_id,
            kind="catalog_late",
            **_summary(Message("{code}: catalog not updated in time — {what}", code=code,
                               what=task.description_message or task.description)),
            evidence=[{"label": code, "link": f"/catalog/{code}/history"}],
        ))  # fmt: skip
    for row in duplicate_collection_report(session):
        if not (row.justification or "").strip():
            found.append(Violation(
                key=f"duplicate_collection:{row.resource_code}:{row.item_name}",
                department_id=by_name[row.provider], kind="duplicate_collection",
                **_summary(Message(
                    "{code} collects {element} ({label}) without a justification; {authority} "
                    "is authoritative", code=row.resource_code, element=row.element,
                    label=row.item_label, authority=row.authoritative_department,
                )),
                evidence=[{"label": row.resource_code, "link": f"/catalog/{row.resource_code}"}],
            ))  # fmt: skip
    for usage, grant, code in session.execute(
        select(DataUsage, Grant, Resource.code)
        .join(Grant, Grant.id == DataUsage.grant_id)
        .join(Resource, Resource.id == DataUsage.resource_id)
    ):
        if not set(query_tokens(usage.purpose)) & set(query_tokens(grant.purpose)):
            found.append(Violation(
                key=f"purpose_mismatch:usage:{usage.id}", department_id=usage.consumer_department_id,
                kind="purpose_mismatch",
                **_summary(Message(
                    "read {code} for “{purpose}” under grant {grant} approved for “{approved}”",
                    code=code, purpose=usage.purpose, grant=grant.id, approved=grant.purpose,
                )),
                evidence=[{"label": f"grant {grant.id}", "link": "/access/grants"},
                          {"label": "audit log", "link": f"/audit?object_id={code}"}],
            ))  # fmt: skip
    return found


def detect(session: Session, *, now: datetime) -> list[Violation]:
    """Record every finding not yet in the register; returns the new ones."""
    known = set(session.scalars(select(Violation.key)))
    new = [v for v in _findings(session, now) if v.key not in known]
    for violation in new:
        violation.detected_at = now
        session.add(violation)
    session.flush()
    if new:
        audit.record(session, at=now, actor=DETECTOR, action="supervision.violations",
                     detail={"new": [v.key for v in new]})  # fmt: skip
    return new


def _checked(decision: str, reason: str) -> str:
    if decision not in DECISIONS:
        raise InvalidInput(
            "decide {decisions}", detail={"field": "decision"}, decisions=" or ".join(DECISIONS)
        )
    if not reason.strip():
        raise InvalidInput("a decision gives its reason", detail={"field": "reason"})
    return reason.strip()


def _violation(session: Session, violation_id: int) -> Violation:
    violation = session.get(Violation, violation_id)
    if violation is None:
        raise NotFound("no violation {violation_id}", violation_id=violation_id)
    return violation


def _record(
    session: Session,
    violation: Violation,
    *,
    actor: Principal,
    now: datetime,
    decision: str,
    reason: str,
    corrects: ViolationDecision | None,
) -> ViolationDecision:
    taken = ViolationDecision(
        violation_id=violation.id, decision=decision, reason=reason, decided_by=actor.username,
        decided_at=now, corrects_id=corrects.id if corrects else None,
    )  # fmt: skip
    session.add(taken)
    session.flush()
    violation.decision, violation.decision_reason = decision, reason
    violation.decided_by, violation.decided_at = actor.username, now
    audit.record(
        session, at=now, actor=actor,
        action="supervision.violation.correct" if corrects else "supervision.violation.decide",
        object_type="violation", object_id=violation.id,
        detail={"decision": decision, "reason": reason, "decision_id": taken.id,
                **({"corrects": corrects.id, "was": corrects.decision} if corrects else {})},
    )  # fmt: skip
    return taken


def decide(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    violation_id: int,
    decision: str,
    reason: str,
) -> Violation:
    """The bureau's decision on a finding; final once taken (see :func:`correct`)."""
    ACTIONS.require(actor, "other", "supervision", "decide_violation")
    reason = _checked(decision, reason)
    violation = _violation(session, violation_id)
    if violation.decision is not None:
        raise Conflict(
            "violation {violation_id} was already decided ({decision}) on {day}; a decision is "
            "final — record a correction with its own reason instead",
            detail={"decision": violation.decision},
            violation_id=violation_id, decision=DECISIONS.get(violation.decision, violation.decision),
            day=f"{violation.decided_at:%Y-%m-%d}" if violation.decided_at else "",
        )  # fmt: skip
    _record(session, violation, actor=actor, now=now, decision=decision, reason=reason,
            corrects=None)  # fmt: skip
    return violation


def correct(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    violation_id: int,
    decision: str,
    reason: str,
) -> Violation:
    """A later correction: a new decision with its own reason, linked to the one it corrects,
    which stays on the record."""
    ACTIONS.require(actor, "other", "supervision", "decide_violation")
    reason = _checked(decision, reason)
    violation = _violation(session, violation_id)
    standing = decisions_of(session, violation_id)
    if not standing:
        raise Conflict(
            "violation {violation_id} is not decided yet: decide it first",
            violation_id=violation_id,
        )
    _record(session, violation, actor=actor, now=now, decision=decision, reason=reason,
            corrects=standing[-1])  # fmt: skip
    return violation


def decisions_of(session: Session, violation_id: int) -> list[ViolationDecision]:
    """Every decision on a violation, oldest first; the last one stands."""
    return list(
        session.scalars(
            select(ViolationDecision)
            .where(ViolationDecision.violation_id == violation_id)
            .order_by(ViolationDecision.id)
        )
    )


def visible(session: Session, *, actor: Principal, limit: int) -> list[Violation]:
    """The register, newest first: every department's for supervisors, else the actor's own."""
    query = select(Violation).order_by(Violation.id.desc()).limit(limit)
    if not sees_all(actor, Records.SUPERVISION):
        query = query.where(Violation.department_id == actor.department_id)
    return list(session.scalars(query))


def corrected(session: Session, violation_ids: list[int]) -> dict[int, bool]:
    """Which of these violations stand on a correction rather than their first decision."""
    rows = session.scalars(
        select(ViolationDecision.violation_id).where(
            ViolationDecision.violation_id.in_(violation_ids),
            ViolationDecision.corrects_id.is_not(None),
        )
    )
    return dict.fromkeys(rows, True)


def visible_one(session: Session, *, actor: Principal, violation_id: int) -> Violation:
    """One violation, to supervisors or to the department it concerns."""
    violation = session.get(Violation, violation_id)
    if violation is None or not (
        sees_all(actor, Records.SUPERVISION) or violation.department_id == actor.department_id
    ):
        raise Hidden("no violation {violation_id}", violation_id=violation_id)
    return violation
