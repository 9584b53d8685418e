"""Home: my tasks with their working-day countdowns, and my notifications."""

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import or_, select

from exchange.deadlines.models import Deadline, DeadlineStatus
from exchange.notifications.service import inbox
from exchange.workdays.deadline import working_days_left
from exchange_api.deps import AppPlatform, DbSession
from exchange_api.portal.web import PortalUser, render

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(
    request: Request, actor: PortalUser, session: DbSession, platform: AppPlatform
) -> Response:
    now = platform.clock.now()
    calendar = platform.calendar(session)
    mine = (
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
        .limit(200)
    )
    tasks = [
        {
            "deadline": deadline,
            "overdue": deadline.due_at <= now,
            "days_left": working_days_left(now, deadline.due_date, calendar),
            "link": _link(deadline),
        }
        for deadline in session.scalars(mine)
    ]
    notes = inbox(session, user_id=actor.user_id, limit=20) if actor.user_id else []
    return render(request, "home.html", tasks=tasks, notifications=notes)


def _link(deadline: Deadline) -> str | None:
    pages = {
        "access_request": "/access/requests/{}",
        "quality_issue": "/quality/issues/{}",
        "catalog_update_task": "/catalog/{}",
    }
    page = pages.get(deadline.subject_type)
    return page.format(deadline.subject_id) if page else deadline.link
