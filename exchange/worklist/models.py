from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from exchange.db import Base, StoredMessage
from exchange.i18n import Message


class Task(Base):
    """Something a person must do next on a record (``subject_type``/``subject_id``), handed to
    them when somebody else's step ended: to the holders of a role in a department, or to one
    user. It is done when the record moves on, or, for a task that only asks its user to take
    note, when they open it. A step with a legal deadline has its :class:`Deadline` instead."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_subject", "subject_type", "subject_id"),
        Index("ix_tasks_assignee", "assignee_department_id", "assignee_role", "done_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(60))
    subject_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))  # in English, for programs
    title_message: Mapped[Message] = mapped_column(StoredMessage)
    link: Mapped[str] = mapped_column(String(500))
    assignee_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    assignee_role: Mapped[str | None] = mapped_column(String(40))
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # The task only asks its user to take note: opening the record ends it.
    ends_when_read: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    done_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
