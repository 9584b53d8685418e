from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from exchange.db import Base, StoredMessage
from exchange.i18n import Message
from exchange.workdays.spans import Span, TimeUnit


class DeadlineStatus(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


class Deadline(Base):
    """A deadline on some record (``subject_type``/``subject_id``), counted in working days,
    hours, calendar days or months (R34; :mod:`exchange.workdays.spans`).

    ``counted_from``, ``length`` and ``unit`` describe the current counting segment (a resumed
    deadline starts a new segment with the time it had left), so a provisional deadline can be
    recomputed when its year's schedule arrives.
    """

    __tablename__ = "deadlines"
    __table_args__ = (
        Index("ix_deadlines_subject", "subject_type", "subject_id"),
        Index("ix_deadlines_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(60))
    subject_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))  # in English, for programs
    title_message: Mapped[Message | None] = mapped_column(StoredMessage)
    link: Mapped[str | None] = mapped_column(String(500))
    assignee_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    assignee_role: Mapped[str | None] = mapped_column(String(40))
    escalate_to_role: Mapped[str | None] = mapped_column(String(40))
    length: Mapped[int]
    unit: Mapped[str] = mapped_column(String(4), default="wd", server_default="wd")
    counted_from: Mapped[datetime]
    due_date: Mapped[date]
    due_at: Mapped[datetime]
    remind_at: Mapped[datetime]
    provisional: Mapped[bool]
    status: Mapped[str] = mapped_column(String(10))
    paused_at: Mapped[datetime | None]
    remaining: Mapped[int | None]  # while paused: working days left, or hours for other units
    stopped_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    overdue_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    @property
    def met_in_time(self) -> bool | None:
        """For a stopped deadline: whether it stopped before it expired."""
        if self.stopped_at is None:
            return None
        return self.overdue_at is None and self.stopped_at < self.due_at

    @property
    def span(self) -> Span:
        return Span(self.length, TimeUnit(self.unit))
