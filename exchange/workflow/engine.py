"""A small state-machine helper.

A workflow is a table of transitions: the action's name, the states it may be taken from, the
state it leads to, the roles that may take it, and what it does to deadlines. ``take_action``
checks the transition and the role, moves the record, applies the deadline steps, writes the
history and the audit record. Domain rules beyond roles (e.g. "not the registrar himself") are
checked by the domain service before it calls ``take_action``.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.orm import Session

from exchange import audit
from exchange.deadlines.service import (
    Assignment,
    find_open_deadline,
    pause_deadline,
    resume_deadline,
    start_deadline,
    stop_deadline,
)
from exchange.errors import IllegalTransition, PermissionDenied
from exchange.i18n import Message
from exchange.identity.roles import Role
from exchange.principal import Principal
from exchange.settings import Settings
from exchange.workdays import WorkingDayCalendar
from exchange.workflow.models import WorkflowEvent
from exchange.worklist.service import HandsOff, end_tasks, hand_off


class DeadlineEffect(StrEnum):
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"


@dataclass(frozen=True)
class DeadlineStep:
    effect: DeadlineEffect
    kind: str
    length_setting: str | None = None  # for START: the name of the setting holding its length

    def __post_init__(self) -> None:
        if (self.effect == DeadlineEffect.START) != (self.length_setting is not None):
            raise ValueError("a START step, and only a START step, names its length setting")


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    roles: frozenset[Role]
    deadlines: tuple[DeadlineStep, ...] = ()


class WorkflowSubject(Protocol):
    id: int
    state: str


@runtime_checkable
class DeadlineSubject(WorkflowSubject, Protocol):
    """A record whose workflow starts deadlines."""

    def deadline_assignment(self, kind: str) -> Assignment:
        """Who must act before the deadline ``kind`` of this record, and who hears if it passes."""
        ...

    def deadline_title(self, kind: str) -> Message: ...


@dataclass(frozen=True)
class WorkflowEnvironment:
    """What taking an action needs besides the record: time, calendar and settings."""

    now: datetime
    calendar: WorkingDayCalendar
    settings: Settings


@dataclass(frozen=True)
class Workflow:
    name: str
    subject_type: str
    transitions: tuple[Transition, ...]
    states: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        states: set[str] = set()
        seen = set()
        for transition in self.transitions:
            for source in transition.sources:
                if (transition.action, source) in seen:
                    raise ValueError(
                        f"{self.name}: {transition.action} from {source} defined twice"
                    )
                seen.add((transition.action, source))
            states |= transition.sources | {transition.target}
        object.__setattr__(self, "states", frozenset(states))

    def transition_for(self, action: str, state: str) -> Transition:
        for transition in self.transitions:
            if transition.action == action and state in transition.sources:
                return transition
        allowed = self.actions_from(state)
        known = {t.action for t in self.transitions}
        if action not in known:
            message = Message(
                "{workflow} has no action {action!r}", workflow=self.name, action=action
            )
        else:
            message = Message(
                "cannot {action}: the {subject} is {state}",
                action=action, subject=Message(self.subject_type.replace("_", " ")), state=state,
            )  # fmt: skip
        raise IllegalTransition(
            message, detail={"state": state, "action": action, "allowed_actions": allowed}
        )

    def actions_from(self, state: str, roles: Iterable[Role] | None = None) -> list[str]:
        held = None if roles is None else set(roles)
        return [
            t.action
            for t in self.transitions
            if state in t.sources and (held is None or not held.isdisjoint(t.roles))
        ]


def take_action(
    session: Session,
    workflow: Workflow,
    subject: WorkflowSubject,
    action: str,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    comment: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> WorkflowEvent:
    transition = workflow.transition_for(action, subject.state)
    if not actor.has_any(*transition.roles):
        needed = ", ".join(sorted(transition.roles))
        raise PermissionDenied(
            "to {action} a {subject_type} you need one of the roles: {needed}",
            detail={"action": action, "required_roles": sorted(transition.roles)},
            action=action,
            subject_type=workflow.subject_type,
            needed=needed,
        )
    from_state = subject.state
    subject.state = transition.target
    for step in transition.deadlines:
        _apply_deadline_step(session, workflow, subject, step, env)
    event = WorkflowEvent(
        workflow=workflow.name,
        subject_type=workflow.subject_type,
        subject_id=str(subject.id),
        action=action,
        from_state=from_state,
        to_state=transition.target,
        actor_user_id=actor.user_id,
        actor=actor.username,
        at=env.now,
        comment=comment,
    )
    session.add(event)
    audit.record(
        session,
        at=env.now,
        actor=actor,
        action=f"{workflow.name}.{action}",
        object_type=workflow.subject_type,
        object_id=subject.id,
        detail={"from": from_state, "to": transition.target, "comment": comment, **(detail or {})},
    )
    session.flush()
    _hand_on(session, workflow, subject, action, actor, env.now)
    return event


def _hand_on(
    session: Session,
    workflow: Workflow,
    subject: WorkflowSubject,
    action: str,
    actor: Principal,
    now: datetime,
) -> None:
    """The step ends what was waiting on the record; the record names who acts next."""
    end_tasks(session, subject_type=workflow.subject_type, subject_id=subject.id, by=actor, now=now)
    handed = subject.hand_off(action) if isinstance(subject, HandsOff) else None
    if handed is not None:
        hand_off(
            session,
            subject_type=workflow.subject_type,
            subject_id=subject.id,
            handed=handed,
            now=now,
        )


def _apply_deadline_step(
    session: Session,
    workflow: Workflow,
    subject: WorkflowSubject,
    step: DeadlineStep,
    env: WorkflowEnvironment,
) -> None:
    if step.effect == DeadlineEffect.START:
        assert step.length_setting is not None
        if not isinstance(subject, DeadlineSubject):
            raise TypeError(
                f"{workflow.subject_type} starts deadlines but does not say who must act"
            )
        start_deadline(
            session,
            kind=step.kind,
            subject_type=workflow.subject_type,
            subject_id=subject.id,
            title=subject.deadline_title(step.kind),
            span=env.settings.deadline_span(step.length_setting),
            assignment=subject.deadline_assignment(step.kind),
            now=env.now,
            calendar=env.calendar,
        )
        return
    deadline = find_open_deadline(
        session, kind=step.kind, subject_type=workflow.subject_type, subject_id=subject.id
    )
    if deadline is None:
        raise IllegalTransition(
            "{subject_type} {id} has no open {kind} deadline",
            subject_type=workflow.subject_type,
            id=subject.id,
            kind=step.kind,
        )
    if step.effect == DeadlineEffect.PAUSE:
        pause_deadline(deadline, now=env.now, calendar=env.calendar)
    elif step.effect == DeadlineEffect.RESUME:
        resume_deadline(deadline, now=env.now, calendar=env.calendar)
    else:
        stop_deadline(deadline, now=env.now)


def history(session: Session, *, subject_type: str, subject_id: int | str) -> list[WorkflowEvent]:
    from sqlalchemy import select

    return list(
        session.scalars(
            select(WorkflowEvent)
            .where(
                WorkflowEvent.subject_type == subject_type,
                WorkflowEvent.subject_id == str(subject_id),
            )
            .order_by(WorkflowEvent.id)
        )
    )
