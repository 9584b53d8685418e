"""Home, the person's work bench: 待办 (what waits for them, with its working-day countdown) and
已办 (what they finished), and the message centre."""

from dataclasses import dataclass
from datetime import date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from exchange.deadlines.models import Deadline, DeadlineStatus
from exchange.i18n import Message
from exchange.notifications.service import (
    inbox_size,
    mark_all_read,
    mark_read,
    page_of_inbox,
)
from exchange.principal import Principal
from exchange.workdays.deadline import working_days_left
from exchange.worklist.service import done_tasks, open_tasks
from exchange_api.deps import AppPlatform, DbSession
from exchange_api.portal.paging import PAGE_SIZE, newer_and_older, offset_of, paging
from exchange_api.portal.web import Form, PortalUser, redirect, render

router = APIRouter(include_in_schema=False)

_PAGES = {
    "access_request": "/access/requests/{}",
    "quality_issue": "/quality/issues/{}",
    "catalog_update_task": "/catalog/{}",
}


@dataclass(frozen=True)
class WorkItem:
    title: Message
    link: str | None
    since: datetime
    due_date: date | None = None
    days_left: int | None = None
    overdue: bool = False
    provisional: bool = False


@router.get("/")
def home(
    request: Request, actor: PortalUser, session: DbSession, platform: AppPlatform
) -> Response:
    if request.query_params.get("tab") == "done":
        assert actor.user_id is not None
        finished, page, older = newer_and_older(
            request,
            done_tasks(session, actor.user_id, offset=offset_of(request), limit=PAGE_SIZE + 1),
        )
        return render(request, "home.html", tab="done", work=[], finished=finished, page=page,
                      older=older)  # fmt: skip
    work = _waiting(session, actor, platform)
    return render(request, "home.html", tab="todo", work=work, finished=[])


def _waiting(session: Session, actor: Principal, platform: AppPlatform) -> list[WorkItem]:
    """Tasks handed to the person, each with the deadline running on its record, and deadlines
    of theirs no task stands for (update tasks, grace periods, reviews of projects and clouds)."""
    now = platform.clock.now()
    calendar = platform.calendar(session)
    deadlines = {
        (deadline.subject_type, deadline.subject_id): deadline
        for deadline in session.scalars(
            select(Deadline)
            .where(
                Deadline.status != DeadlineStatus.STOPPED,
                Deadline.assignee_department_id == actor.department_id,
                or_(
                    Deadline.assignee_role.is_(None),
                    Deadline.assignee_role.in_([str(r) for r in actor.roles]),
                ),
            )
            .order_by(Deadline.due_at)
            .limit(500)
        )
    }

    def item(title: Message, link: str | None, since: datetime, due: Deadline | None) -> WorkItem:
        if due is None:
            return WorkItem(title, link, since)
        return WorkItem(
            title, link, since, due.due_date, working_days_left(now, due.due_date, calendar),
            due.due_at <= now, due.provisional,
        )  # fmt: skip

    work = []
    for task in open_tasks(session, actor):
        work.append(
            item(task.title_message, task.link, task.created_at,
                 deadlines.pop((task.subject_type, task.subject_id), None))
        )  # fmt: skip
    for deadline in deadlines.values():
        title = deadline.title_message or Message("{title}", title=deadline.title)
        work.append(item(title, _link(deadline), deadline.created_at, deadline))
    # Overdue and nearest deadlines first, then the rest in the order they came.
    return sorted(work, key=lambda w: (w.due_date is None, w.due_date or date.max, w.since))


def _link(deadline: Deadline) -> str | None:
    page = _PAGES.get(deadline.subject_type)
    return page.format(deadline.subject_id) if page else deadline.link


@router.get("/notifications")
def message_centre(request: Request, actor: PortalUser, session: DbSession) -> Response:
    assert actor.user_id is not None
    pages = paging(request, inbox_size(session, user_id=actor.user_id))
    notes = page_of_inbox(session, user_id=actor.user_id, offset=pages.offset, limit=pages.size)
    return render(request, "notifications.html", notes=notes, paging=pages)


@router.get("/notifications/{notification_id}")
def open_notification(
    notification_id: int, actor: PortalUser, session: DbSession, platform: AppPlatform
) -> Response:
    """Opening a message marks it read and goes where it points."""
    assert actor.user_id is not None
    note = mark_read(
        session, user_id=actor.user_id, notification_id=notification_id, now=platform.clock.now()
    )
    return redirect(note.link or "/notifications")


@router.post("/notifications/read")
def read_all(
    request: Request, form: Form, actor: PortalUser, session: DbSession, platform: AppPlatform
) -> Response:
    assert actor.user_id is not None
    mark_all_read(session, user_id=actor.user_id, now=platform.clock.now())
    return redirect("/notifications")
