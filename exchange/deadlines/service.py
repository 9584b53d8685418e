"""Starting, pausing, resuming and stopping deadlines; recomputing provisional ones."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange.deadlines.models import Deadline, DeadlineStatus
from exchange.errors import Conflict
from exchange.i18n import Message
from exchange.workdays import WorkingDayCalendar, working_day_deadline, working_days_left


@dataclass(frozen=True)
class Assignment:
    """Who must act before a deadline, and who hears about it when it passes."""

    department_id: int | None
    role: str | None
    escalate_to_role: str | None = None


def start_deadline(
    session: Session,
    *,
    kind: str,
    subject_type: str,
    subject_id: str | int,
    title: Message,
    working_days: int,
    assignment: Assignment,
    now: datetime,
    calendar: WorkingDayCalendar,
    link: str | None = None,
) -> Deadline:
    if find_open_deadline(session, kind=kind, subject_type=subject_type, subject_id=subject_id):
        raise Conflict(
            "a {kind} deadline is already open for {subject_type} {subject_id}",
            kind=kind,
            subject_type=subject_type,
            subject_id=subject_id,
        )
    computed = working_day_deadline(now, working_days, calendar)
    deadline = Deadline(
        kind=kind,
        subject_type=subject_type,
        subject_id=str(subject_id),
        title=title.english[:200],
        title_message=title,
        link=link,
        assignee_department_id=assignment.department_id,
        assignee_role=assignment.role,
        escalate_to_role=assignment.escalate_to_role,
        working_days=working_days,
        counted_from=now,
        due_date=computed.due_date,
        due_at=computed.due_at,
        remind_at=computed.remind_at,
        provisional=computed.provisional,
        status=DeadlineStatus.RUNNING,
        created_at=now,
    )
    session.add(deadline)
    session.flush()
    return deadline


def find_open_deadline(
    session: Session, *, kind: str, subject_type: str, subject_id: str | int
) -> Deadline | None:
    return session.scalar(
        select(Deadline).where(
            Deadline.kind == kind,
            Deadline.subject_type == subject_type,
            Deadline.subject_id == str(subject_id),
            Deadline.status != DeadlineStatus.STOPPED,
        )
    )


def pause_deadline(deadline: Deadline, *, now: datetime, calendar: WorkingDayCalendar) -> None:
    """Stop the clock; the day of the pause is spent, the working days after it are kept."""
    _require_status(deadline, DeadlineStatus.RUNNING, "pause")
    deadline.status = DeadlineStatus.PAUSED
    deadline.paused_at = now
    deadline.remaining_working_days = working_days_left(now, deadline.due_date, calendar)


def resume_deadline(deadline: Deadline, *, now: datetime, calendar: WorkingDayCalendar) -> None:
    """Restart the clock with the days that were left (at least one), counted from ``now``."""
    _require_status(deadline, DeadlineStatus.PAUSED, "resume")
    days = max(1, deadline.remaining_working_days or 0)
    computed = working_day_deadline(now, days, calendar)
    deadline.status = DeadlineStatus.RUNNING
    deadline.working_days = days
    deadline.counted_from = now
    deadline.due_date = computed.due_date
    deadline.due_at = computed.due_at
    deadline.remind_at = computed.remind_at
    deadline.provisional = computed.provisional
    deadline.paused_at = None
    deadline.remaining_working_days = None
    deadline.reminded_at = None


def stop_deadline(deadline: Deadline, *, now: datetime) -> None:
    if deadline.status == DeadlineStatus.STOPPED:
        raise Conflict("deadline {id} has already stopped", id=deadline.id)
    deadline.status = DeadlineStatus.STOPPED
    deadline.stopped_at = now


def recompute_provisional(session: Session, *, calendar: WorkingDayCalendar) -> int:
    """After a year's schedule is imported: recompute every running provisional deadline."""
    changed = 0
    query = select(Deadline).where(
        Deadline.provisional.is_(True), Deadline.status == DeadlineStatus.RUNNING
    )
    for deadline in session.scalars(query):
        computed = working_day_deadline(deadline.counted_from, deadline.working_days, calendar)
        deadline.due_date = computed.due_date
        deadline.due_at = computed.due_at
        deadline.remind_at = computed.remind_at
        deadline.provisional = computed.provisional
        changed += 1
    session.flush()
    return changed


def _require_status(deadline: Deadline, status: DeadlineStatus, verb: str) -> None:
    if deadline.status != status:
        raise Conflict(
            "cannot {verb} deadline {id}: it is {status}",
            verb=verb,
            id=deadline.id,
            status=deadline.status,
        )
