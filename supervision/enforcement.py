"""Freshness enforcement (R11), run daily: a department with late resources is warned and given a
grace period in working days; if its data is still late when the period ends, its grants as a
consumer are suspended (unconditional data stays readable); they come back by themselves once
its data is fresh again, or by a bureau decision with a reason. Every step is notified and
audited, and reaches every API process's decision point through the change bus."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from collection.freshness import freshness
from collection.vocab import Freshness
from exchange import audit
from exchange.actions import ACTIONS
from exchange.deadlines.service import find_open_deadline, start_deadline, stop_deadline
from exchange.errors import InvalidInput, NotFound
from exchange.i18n import Message
from exchange.identity.models import Department
from exchange.identity.visibility import Records, sees_all
from exchange.policy_changes import announce
from exchange.principal import Principal
from exchange.workflow import WorkflowEnvironment
from policies.models import GRACE, Suspension
from policies.suspensions import FRESH_AGAIN, SUBJECT, current, end_episode, tell

ENFORCER = Principal.system("freshness-enforcement")


@dataclass
class EnforcementResult:
    warned: list[int] = field(default_factory=list)
    suspended: list[int] = field(default_factory=list)
    restored: list[int] = field(default_factory=list)


def late_by_department(session: Session, now: datetime) -> dict[int, list[str]]:
    codes = dict(session.execute(select(Department.code, Department.id)).all())
    late: dict[int, list[str]] = defaultdict(list)
    for item in freshness(session, now=now):
        if item.status == Freshness.LATE:
            late[codes[item.provider_code]].append(item.code)
    return dict(late)


def enforce_freshness(session: Session, *, env: WorkflowEnvironment) -> EnforcementResult:
    result = EnforcementResult()
    late = late_by_department(session, env.now)
    episodes = session.scalars(select(Suspension).where(Suspension.state != "ended")).all()
    for episode in episodes:
        if episode.department_id not in late:
            end_episode(
                session, episode, env=env, actor=ENFORCER,
                reason=FRESH_AGAIN,
            )  # fmt: skip
            result.restored.append(episode.department_id)
            continue
        episode.late_resources = sorted(late[episode.department_id])
        if episode.state == "warned":
            deadline = find_open_deadline(
                session, kind=GRACE, subject_type=SUBJECT, subject_id=episode.id
            )
            if deadline is not None and env.now >= deadline.due_at:
                _suspend(session, episode, env=env)
                result.suspended.append(episode.department_id)
    watched = {e.department_id for e in episodes}
    for department_id, codes in sorted(late.items()):
        if department_id not in watched:
            _warn(session, department_id, sorted(codes), env=env)
            result.warned.append(department_id)
    return result


def _warn(
    session: Session, department_id: int, codes: list[str], *, env: WorkflowEnvironment
) -> None:
    episode = Suspension(
        department_id=department_id, state="warned", late_resources=codes, warned_at=env.now
    )
    session.add(episode)
    session.flush()
    deadline = start_deadline(
        session, kind=GRACE, subject_type=SUBJECT, subject_id=episode.id,
        title=episode.deadline_title(GRACE), span=env.settings.deadline_span("freshness_grace_days"),
        assignment=episode.deadline_assignment(GRACE), now=env.now, calendar=env.calendar,
    )  # fmt: skip
    tell(
        session, episode, "supervision.freshness_warning",
        Message("Late data warning: {resources}", resources=", ".join(codes)),
        Message(
            "Resources {resources} missed their update cycle. Unless they are updated by the end "
            "of {day}, your department's grants to read other departments' data are suspended "
            "(R11).",
            resources=", ".join(codes), day=str(deadline.due_date),
        ),
        env.now,
    )  # fmt: skip
    audit.record(session, at=env.now, actor=ENFORCER, action="supervision.warn", object_type="department",
                 object_id=department_id, detail={"late": codes, "due": deadline.due_date.isoformat()})  # fmt: skip


def _suspend(session: Session, episode: Suspension, *, env: WorkflowEnvironment) -> None:
    episode.state, episode.suspended_at = "suspended", env.now
    deadline = find_open_deadline(session, kind=GRACE, subject_type=SUBJECT, subject_id=episode.id)
    if deadline is not None:
        stop_deadline(deadline, now=env.now)
    announce(session, "suspension", episode.department_id)
    tell(
        session, episode, "supervision.suspended",
        Message("Grants suspended: {resources}", resources=", ".join(episode.late_resources)),
        Message(
            "Your department's grants are suspended because {why}. They come back when the data "
            "is up to date again, or by a decision of the bureau.",
            why=episode.reason,
        ),
        env.now,
    )  # fmt: skip
    audit.record(session, at=env.now, actor=ENFORCER, action="supervision.suspend", object_type="department",
                 object_id=episode.department_id, detail={"late": episode.late_resources})  # fmt: skip


def lift(
    session: Session, *, actor: Principal, env: WorkflowEnvironment, department_id: int, reason: str
) -> Suspension:
    """A bureau decision ends a warning or a suspension; the reason is required and recorded."""
    ACTIONS.require(actor, "other", "supervision", "lift")
    if not reason.strip():
        raise InvalidInput("a bureau decision gives its reason", detail={"field": "reason"})
    episode = current(session, department_id)
    if episode is None:
        raise NotFound(
            "department {department_id} is neither warned nor suspended",
            department_id=department_id,
        )
    end_episode(
        session, episode, env=env, actor=actor,
        reason=Message("bureau decision: {reason}", reason=reason.strip()),
    )  # fmt: skip
    return episode


def visible(session: Session, *, actor: Principal, limit: int) -> list[Suspension]:
    """Warnings and suspensions, newest first: every department's for supervisors, else the
    actor's own department's."""
    query = select(Suspension).order_by(Suspension.id.desc()).limit(limit)
    if not sees_all(actor, Records.SUPERVISION):
        query = query.where(Suspension.department_id == actor.department_id)
    return list(session.scalars(query))
