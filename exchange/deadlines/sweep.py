"""The sweep: a reminder when the last working day (or day, or quarter of the hours) begins,
escalation once the deadline passes.

Each is sent exactly once, even when several sweeps run at the same time: a sweep claims a
deadline with a conditional UPDATE (``... WHERE reminded_at IS NULL``) and notifies only if the
claim changed the row, in the same transaction as the notification.
"""

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from exchange import audit
from exchange.db import table_of
from exchange.deadlines.models import Deadline, DeadlineStatus
from exchange.i18n import Message
from exchange.identity.models import User
from exchange.identity.roles import Role
from exchange.notifications.service import notify, users_with_role
from exchange.principal import Principal
from exchange.workdays.spans import TimeUnit

SWEEPER = Principal.system("deadline-sweep")


@dataclass(frozen=True)
class SweepResult:
    reminded: int
    escalated: int


def sweep(
    session: Session, *, now: datetime, email: bool = False, zone: tzinfo | None = None
) -> SweepResult:
    """Remind and escalate what is due; times in reminders are shown in ``zone`` (the city's),
    by default that of ``now``."""
    reminded = escalated = 0
    due_for_reminder = select(Deadline.id).where(
        Deadline.status == DeadlineStatus.RUNNING,
        Deadline.reminded_at.is_(None),
        Deadline.remind_at <= now,
        Deadline.due_at > now,
    )
    for deadline_id in session.scalars(due_for_reminder).all():
        if _claim(session, deadline_id, "reminded_at", now):
            deadline = session.get_one(Deadline, deadline_id, populate_existing=True)
            notify(
                session,
                users=_assignees(session, deadline),
                kind="deadline.reminder",
                title=_reminder_title(deadline, zone or now.tzinfo),
                body=_reminder_body(deadline, zone or now.tzinfo),
                link=deadline.link,
                now=now,
                email=email,
            )
            reminded += 1
    overdue = select(Deadline.id).where(
        Deadline.status == DeadlineStatus.RUNNING,
        Deadline.overdue_at.is_(None),
        Deadline.due_at <= now,
    )
    for deadline_id in session.scalars(overdue).all():
        if _claim(session, deadline_id, "overdue_at", now):
            deadline = session.get_one(Deadline, deadline_id, populate_existing=True)
            _escalate(session, deadline, now=now, email=email)
            escalated += 1
    return SweepResult(reminded, escalated)


def _moment(deadline: Deadline, zone: tzinfo | None) -> str:
    return f"{deadline.due_at.astimezone(zone):%Y-%m-%d %H:%M}"


def _reminder_title(deadline: Deadline, zone: tzinfo | None) -> Message:
    if deadline.unit == TimeUnit.HOURS:
        return Message("Due at {moment}: {task}", moment=_moment(deadline, zone),
                       task=titled(deadline))  # fmt: skip
    return Message("Due by the end of {day}: {task}", day=str(deadline.due_date),
                   task=titled(deadline))  # fmt: skip


def _reminder_body(deadline: Deadline, zone: tzinfo | None) -> Message:
    """Hours count through nights and holidays (R34): the reminder names the hour."""
    if deadline.unit == TimeUnit.HOURS:
        return Message("{task} must be completed by {moment}; the hours run through nights and "
                       "holidays.", task=titled(deadline), moment=_moment(deadline, zone))  # fmt: skip
    task, day = titled(deadline), str(deadline.due_date)
    if deadline.unit == TimeUnit.DAYS:
        return Message("{task} must be completed by the end of {day} (one day left).",
                       task=task, day=day)  # fmt: skip
    if deadline.unit == TimeUnit.MONTHS:
        return Message("{task} must be completed by the end of {day} (less than a month left).",
                       task=task, day=day)  # fmt: skip
    return Message("{task} must be completed by the end of {day} (one working day left).",
                   task=task, day=day)  # fmt: skip


def titled(deadline: Deadline) -> Message:
    """A deadline's title, in each reader's language when it was given as a message."""
    return deadline.title_message or Message("{title}", title=deadline.title)


def _claim(session: Session, deadline_id: int, column: str, now: datetime) -> bool:
    table = table_of(Deadline)
    result = session.connection().execute(
        update(table)
        .where(table.c.id == deadline_id, table.c[column].is_(None))
        .values({column: now})
    )
    return result.rowcount == 1


def _assignees(session: Session, deadline: Deadline) -> list[User]:
    if deadline.assignee_role is None:
        return []
    return users_with_role(session, Role(deadline.assignee_role), deadline.assignee_department_id)


def _escalate(session: Session, deadline: Deadline, *, now: datetime, email: bool) -> None:
    recipients = {u.id: u for u in _assignees(session, deadline)}
    if deadline.escalate_to_role:
        recipients.update(
            (u.id, u) for u in users_with_role(session, Role(deadline.escalate_to_role))
        )
    notify(
        session,
        users=recipients.values(),
        kind="deadline.overdue",
        title=Message(
            "Overdue since {day}: {task}", day=str(deadline.due_date), task=titled(deadline)
        ),
        body=Message(
            "{task} was due by the end of {day} and is overdue.",
            task=titled(deadline),
            day=str(deadline.due_date),
        ),
        link=deadline.link,
        now=now,
        email=email,
    )
    audit.record(
        session,
        at=now,
        actor=SWEEPER,
        action="deadline.overdue",
        object_type=deadline.subject_type,
        object_id=deadline.subject_id,
        detail={
            "deadline_id": deadline.id,
            "kind": deadline.kind,
            "due_date": deadline.due_date.isoformat(),
            "escalated_to": deadline.escalate_to_role,
        },
    )
