"""The inbox, and the e-mail outbox delivered at least once over real SMTP."""

import socket
from collections.abc import Iterator
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlalchemy import select

from exchange.clock import FrozenClock
from exchange.errors import NotFound
from exchange.identity.roles import Role
from exchange.notifications.delivery import deliver_outbox
from exchange.notifications.models import OutboxEmail
from exchange.notifications.service import inbox, mark_read, notify
from exchange.runtime import Platform
from tests.factories import make_department, make_user


class Collector(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[object] = []

    def handle_message(self, message: object) -> None:
        self.messages.append(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def smtp_server(smtp_port: int) -> Iterator[Collector]:
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    yield handler
    controller.stop()


def queue_mail(platform: Platform) -> tuple[int, int]:
    with platform.database.transaction() as session:
        department = make_department(session, platform)
        user = make_user(
            session, platform, department, Role.DATA_REVIEWER, email="reviewer@city.invalid"
        )
        other = make_user(session, platform, department, Role.CONSUMER)
        notify(
            session,
            users=[user, other],
            kind="test",
            title="新申请待审核",
            body="请在3个工作日内审核。",
            now=platform.clock.now(),
            email=True,
        )
    return user.id, other.id


def test_inbox_lists_and_marks_read_only_ones_own(platform: Platform) -> None:
    user_id, other_id = queue_mail(platform)
    with platform.database.transaction() as session:
        [mine] = inbox(session, user_id=user_id)
        assert mine.title == "新申请待审核"
        with pytest.raises(NotFound):
            mark_read(session, user_id=other_id, notification_id=mine.id, now=platform.clock.now())
        mark_read(session, user_id=user_id, notification_id=mine.id, now=platform.clock.now())
        assert inbox(session, user_id=user_id, unread_only=True) == []


def test_outbox_is_delivered_over_smtp_once(
    platform: Platform, smtp_server: Collector, smtp_port: int
) -> None:
    platform.settings.smtp_host = "127.0.0.1"
    platform.settings.smtp_port = smtp_port
    queue_mail(platform)  # only the user with an address gets e-mail
    first = deliver_outbox(platform.database, platform.settings, platform.clock)
    second = deliver_outbox(platform.database, platform.settings, platform.clock)
    assert (first.sent, first.failed, second.sent) == (1, 0, 0)
    [message] = smtp_server.messages
    assert message["To"] == "reviewer@city.invalid"  # type: ignore[index]
    assert str(make_header(decode_header(message["Subject"]))) == "新申请待审核"  # type: ignore[index]


def test_outbox_survives_a_down_server_and_is_retried(
    platform: Platform, smtp_port: int, clock: FrozenClock
) -> None:
    platform.settings.smtp_host = "127.0.0.1"
    platform.settings.smtp_port = smtp_port  # nothing listens yet
    queue_mail(platform)
    failed = deliver_outbox(platform.database, platform.settings, platform.clock)
    assert (failed.sent, failed.failed) == (0, 1)
    with platform.database.transaction() as session:
        [email] = session.scalars(select(OutboxEmail)).all()
        assert email.sent_at is None
        assert email.attempts == 1
        assert email.last_error
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        assert (
            deliver_outbox(platform.database, platform.settings, platform.clock).sent == 0
        )  # backing off
        clock.advance(timedelta(minutes=5))
        assert deliver_outbox(platform.database, platform.settings, platform.clock).sent == 1
    finally:
        controller.stop()
    assert len(handler.messages) == 1


def test_a_notification_reads_in_each_readers_language_and_its_email_in_chinese(
    platform: Platform, clock: FrozenClock
) -> None:
    from exchange.i18n import Message as Text

    with platform.database.transaction() as session:
        department = make_department(session, platform)
        user = make_user(
            session, platform, department, Role.DATA_RESOURCE_ADMIN, email="a@example.org"
        )
        notify(
            session, users=[user], kind="quality.issue", now=clock.now(), email=True,
            title=Text("Quality issue to answer: {title}", title=Text("Warning lifted")),
            body=Text("{count} findings in {code}. Verify or correct them and answer within "
                      "{days} working days (R19).", count=3, code="202/000001", days=5),
        )  # fmt: skip
    with platform.database.transaction() as session:
        [note] = inbox(session, user_id=user.id)
        assert note.title == "Quality issue to answer: Warning lifted"  # English, for programs
        assert note.title_message is not None
        assert note.title_message.in_language("zh") == "数据质量问题待反馈：逾期警告已解除"
        assert note.body_message is not None
        assert "5 个工作日内" in note.body_message.in_language("zh")
        email = session.scalars(select(OutboxEmail)).one()
        assert email.subject == "数据质量问题待反馈：逾期警告已解除"
