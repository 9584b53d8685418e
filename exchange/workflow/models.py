from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from exchange.db import Base


class WorkflowEvent(Base):
    """One transition taken: the history of every workflow record."""

    __tablename__ = "workflow_events"
    __table_args__ = (Index("ix_workflow_events_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(60))
    subject_id: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    from_state: Mapped[str] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    actor_user_id: Mapped[int | None]
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime]
    comment: Mapped[str | None] = mapped_column(Text)
