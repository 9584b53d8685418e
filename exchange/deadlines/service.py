"""Starting, pausing, resuming and stopping deadlines of any span (R23, R34); recomputing
provisional ones."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange.deadlines.models import Deadline, DeadlineStatus
from exchange.errors import Conflict
from exchange.i18n import Message
from exchange.workdays import WorkingDayCalendar, working_days_left
from exchange.workdays.spans import Span, TimeUnit, deadline_after, hours_left


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
    span: Span,
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
    computed = deadline_after(now, span, calendar)
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
        length=span.amount,
        unit=span.unit,
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
    """Stop the clock. Counted in working days, the day of the pause is spent and the working
    days after it are kept; counted otherwise, the elapsed hours left are kept."""
    _require_status(deadline, DeadlineStatus.RUNNING, "pause")
    deadline.status = DeadlineStatus.PAUSED
    deadline.paused_at = now
    if deadline.unit == TimeUnit.WORKING_DAYS:
        deadline.remaining = working_days_left(now, deadline.due_date, calendar)
    else:
        deadline.remaining = hours_left(now, deadline.due_at)


def resume_deadline(deadline: Deadline, *, now: datetime, calendar: WorkingDayCalendar) -> None:
    """Restart the clock with the time that was left (at least one unit), counted from ``now``."""
    _require_status(deadline, DeadlineStatus.PAUSED, "resume")
    unit = TimeUnit.WORKING_DAYS if deadline.unit == TimeUnit.WORKING_DAYS else TimeUnit.HOURS
    span = Span(max(1, deadline.remaining or 0), unit)
    computed = deadline_after(now, span, calendar)
    deadline.status = DeadlineStatus.RUNNING
    deadline.length, deadline.unit = span.amount, span.unit
    deadline.counted_from = now
    deadline.due_date = computed.due_date
    deadline.due_at = computed.due_at
    deadline.remind_at = computed.remind_at
    deadline.provisional = computed.provisional
    deadline.paused_at = None
    deadline.remaining = None
    deadline.reminded_at = None


def extend_deadline(deadline: Deadline, *, extra: int, calendar: WorkingDayCalendar) -> None:
    """Lengthen a running deadline by ``extra`` of its own unit, from where it was counted."""
    _require_status(deadline, DeadlineStatus.RUNNING, "extend")
    deadline.length += extra
    computed = deadline_after(deadline.counted_from, deadline.span, calendar)
    deadline.due_date = computed.due_date
    deadline.due_at = computed.due_at
    deadline.remind_at = computed.remind_at
    deadline.provisional = computed.provisional
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
        computed = deadline_after(deadline.counted_from, deadline.span, calendar)
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
