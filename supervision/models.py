"""Supervision tables: stored scorecards (the suspension of grants lives with the grants, in
policies.models, since the decision point reads it)."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exchange.db import Base


class Scorecard(Base):
    """The figures of one department for one period (``2026-11`` or ``2026``), as last computed."""

    __tablename__ = "scorecards"
    __table_args__ = (UniqueConstraint("department_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    period: Mapped[str] = mapped_column(String(7), index=True)
    figures: Mapped[dict[str, float | int | None]] = mapped_column(JSON)
    computed_at: Mapped[datetime]
