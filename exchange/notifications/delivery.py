"""Delivering the e-mail outbox over SMTP, at least once.

Each message is sent, then marked sent in its own transaction: a crash between the two sends it
again on the next run, never loses it. Failures are retried with a growing back-off.
"""

import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import select

from exchange.clock import Clock
from exchange.db import Database
from exchange.notifications.models import OutboxEmail
from exchange.settings import Settings

MAX_BACKOFF = timedelta(hours=6)


@dataclass(frozen=True)
class DeliveryResult:
    sent: int
    failed: int


def deliver_outbox(
    database: Database, settings: Settings, clock: Clock, *, limit: int = 500
) -> DeliveryResult:
    if not settings.email_enabled:
        return DeliveryResult(0, 0)
    with database.transaction() as session:
        due = session.execute(
            select(OutboxEmail.id, OutboxEmail.recipient, OutboxEmail.subject, OutboxEmail.body)
            .where(OutboxEmail.sent_at.is_(None), OutboxEmail.next_attempt_at <= clock.now())
            .order_by(OutboxEmail.id)
            .limit(limit)
        ).all()
    sent = failed = 0
    for message_id, recipient, subject, body in due:
        try:
            _send(settings, recipient, subject, body)
        except (OSError, smtplib.SMTPException) as error:
            failed += 1
            with database.transaction() as session:
                email = session.get_one(OutboxEmail, message_id)
                email.attempts += 1
                email.last_error = str(error)[:1000]
                email.next_attempt_at = clock.now() + min(
                    MAX_BACKOFF, timedelta(minutes=2**email.attempts)
                )
            continue
        sent += 1
        with database.transaction() as session:
            email = session.get_one(OutboxEmail, message_id)
            email.attempts += 1
            email.sent_at = clock.now()
            email.last_error = None
    return DeliveryResult(sent, failed)


def _send(settings: Settings, recipient: str, subject: str, body: str) -> None:
    assert settings.smtp_host is not None
    message = EmailMessage()
    message["From"] = settings.smtp_sender
    message["To"] = recipient
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username and settings.smtp_password:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(message)
