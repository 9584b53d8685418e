from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from exchange.notifications import service
from exchange_api.deps import AppPlatform, CurrentPrincipal, DbSession
from exchange_api.errors import ERROR_RESPONSES

router = APIRouter(
    prefix="/api/v1/notifications", tags=["notifications"], responses=ERROR_RESPONSES
)


class NotificationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None


@router.get("", summary="My inbox, newest first")
def inbox(
    actor: CurrentPrincipal, session: DbSession, unread: bool = False
) -> list[NotificationPublic]:
    assert actor.user_id is not None
    items = service.inbox(session, user_id=actor.user_id, unread_only=unread)
    return [NotificationPublic.model_validate(n) for n in items]


@router.post("/{notification_id}/read", summary="Mark a notification read")
def mark_read(
    notification_id: int, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> NotificationPublic:
    assert actor.user_id is not None
    notification = service.mark_read(
        session,
        user_id=actor.user_id,
        notification_id=notification_id,
        now=platform.clock.now(),
    )
    return NotificationPublic.model_validate(notification)
