"""Handing work on (issue of a step → the next person's task and message) and reading work lists.

A workflow record that hands work on says so itself (:class:`HandsOff`); the workflow engine asks
it after every step, so each hand-off of every workflow is made here, the same way: a task for the
people who act next and a notification linking to it. Every step also ends the record's open
tasks, recording who ended them: that is each person's 已办 list.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from exchange.i18n import Message
from exchange.identity.models import User
from exchange.identity.roles import Role
from exchange.notifications.service import notify, users_with_role
from exchange.principal import Principal
from exchange.worklist.models import Task


@dataclass(frozen=True)
class HandOff:
    """Who acts next on a record, told what in their work list and their messages.

    Either ``user_id`` (one person, e.g. the consumer who filed a request) or ``role`` in
    ``department_id`` (``None``: the role's holders city-wide). ``acknowledge``: the task only
    asks its reader to take note, and is done when they open it."""

    kind: str
    title: Message
    body: Message
    link: str
    role: Role | None = None
    department_id: int | None = None
    user_id: int | None = None
    acknowledge: bool = False

    def __post_init__(self) -> None:
        if (self.role is None) == (self.user_id is None):
            raise ValueError("a hand-off goes to one user or to the holders of one role")


@runtime_checkable
class HandsOff(Protocol):
    """A workflow record that hands work on after some of its steps."""

    id: int

    def hand_off(self, action: str) -> HandOff | None:
        """Who acts next after ``action`` was taken on this record, or None: nobody new."""
        ...


def hand_off(
    session: Session, *, subject_type: str, subject_id: int | str, handed: HandOff, now: datetime
) -> Task:
    task = Task(
        kind=handed.kind, subject_type=subject_type, subject_id=str(subject_id),
        title=handed.title.english[:200], title_message=handed.title, link=handed.link,
        assignee_department_id=handed.department_id,
        assignee_role=None if handed.role is None else str(handed.role),
        assignee_user_id=handed.user_id, ends_when_read=handed.acknowledge, created_at=now,
    )  # fmt: skip
    session.add(task)
    notify(
        session,
        users=_recipients(session, handed),
        kind=handed.kind,
        title=handed.title,
        body=handed.body,
        link=handed.link,
        now=now,
    )
    return task


def _recipients(session: Session, handed: HandOff) -> list[User]:
    if handed.user_id is not None:
        user = session.get(User, handed.user_id)
        return [user] if user is not None and user.active else []
    assert handed.role is not None
    return users_with_role(session, handed.role, handed.department_id)


def end_tasks(
    session: Session, *, subject_type: str, subject_id: int | str, by: Principal, now: datetime
) -> None:
    """A step was taken on the record: whatever was waiting on it is done, by ``by``."""
    session.execute(
        update(Task)
        .where(
            Task.subject_type == subject_type,
            Task.subject_id == str(subject_id),
            Task.done_at.is_(None),
        )
        .values(done_at=now, done_by_user_id=by.user_id)
    )


def acknowledge(session: Session, *, link: str, user_id: int, now: datetime) -> None:
    """The user opened the page at ``link``: the tasks that only asked them to take note of it
    are done."""
    session.execute(
        update(Task)
        .where(
            Task.link == link,
            Task.assignee_user_id == user_id,
            Task.ends_when_read.is_(True),
            Task.done_at.is_(None),
        )
        .values(done_at=now, done_by_user_id=user_id)
    )


def assigned_to(principal: Principal) -> ColumnElement[bool]:
    """The condition for tasks handed to this person: to them, or to a role they hold in their
    department (or city-wide)."""
    by_role = and_(
        Task.assignee_role.in_([str(role) for role in principal.roles]),
        or_(
            Task.assignee_department_id.is_(None),
            Task.assignee_department_id == principal.department_id,
        ),
    )
    return or_(Task.assignee_user_id == principal.user_id, by_role)


def open_tasks(session: Session, principal: Principal, *, limit: int = 200) -> list[Task]:
    return list(
        session.scalars(
            select(Task)
            .where(Task.done_at.is_(None), assigned_to(principal))
            .order_by(Task.created_at, Task.id)
            .limit(limit)
        )
    )


def done_tasks(session: Session, user_id: int, *, offset: int = 0, limit: int = 50) -> list[Task]:
    """What this user finished, newest first."""
    return list(
        session.scalars(
            select(Task)
            .where(Task.done_by_user_id == user_id)
            .order_by(Task.done_at.desc(), Task.id.desc())
            .offset(offset)
            .limit(limit)
        )
    )
