"""Sending notifications to users, and reading one's inbox."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from exchange.errors import NotFound
from exchange.i18n import DEFAULT, Message
from exchange.identity.models import User, UserRole
from exchange.identity.roles import Role
from exchange.notifications.models import Notification, OutboxEmail


def notify(
    session: Session,
    *,
    users: Iterable[User],
    kind: str,
    title: str | Message,
    body: str | Message,
    now: datetime,
    link: str | None = None,
    email: bool = False,
) -> list[Notification]:
    """Put a notification in each user's inbox, shown in the reader's language; with ``email``,
    also queue an e-mail, written in the platform's language (an address has no language)."""
    title = title if isinstance(title, Message) else Message(title)
    body = body if isinstance(body, Message) else Message(body)
    created = []
    for user in users:
        notification = Notification(
            user_id=user.id, kind=kind, title=title.english[:200], body=body.english,
            title_message=title, body_message=body, link=link, created_at=now,
        )  # fmt: skip
        session.add(notification)
        created.append(notification)
        if email and user.email:
            session.flush()
            session.add(
                OutboxEmail(
                    notification_id=notification.id,
                    recipient=user.email,
                    subject=title.in_language(DEFAULT)[:200],
                    body=body.in_language(DEFAULT),
                    created_at=now,
                    next_attempt_at=now,
                )
            )
    session.flush()
    return created


def users_with_role(session: Session, role: Role, department_id: int | None = None) -> list[User]:
    query = select(User).join(UserRole).where(UserRole.role == str(role), User.active.is_(True))
    if department_id is not None:
        query = query.where(User.department_id == department_id)
    return list(session.scalars(query.order_by(User.id)))


def inbox(
    session: Session, *, user_id: int, unread_only: bool = False, limit: int = 100
) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


def mark_read(
    session: Session, *, user_id: int, notification_id: int, now: datetime
) -> Notification:
    notification = session.get(Notification, notification_id)
    if notification is None or notification.user_id != user_id:
        raise NotFound(
            "no notification {notification_id} in your inbox", notification_id=notification_id
        )
    if notification.read_at is None:
        notification.read_at = now
    return notification


def unread_count(session: Session, *, user_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def inbox_size(session: Session, *, user_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(Notification).where(Notification.user_id == user_id)
        )
        or 0
    )


def page_of_inbox(session: Session, *, user_id: int, offset: int, limit: int) -> list[Notification]:
    """One page of the inbox, newest first."""
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.id.desc())
            .offset(offset)
            .limit(limit)
        )
    )


def mark_all_read(session: Session, *, user_id: int, now: datetime) -> None:
    session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now)
    )
