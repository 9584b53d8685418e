"""The administrator-maintained working-day schedule, which overrides the built-in one."""

from datetime import date, datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from exchange.db import Base


class CalendarYear(Base):
    """A year whose official schedule an administrator imported."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime]
    imported_by: Mapped[str] = mapped_column(String(100))


class CalendarDay(Base):
    """One day that differs from Monday-to-Friday: a holiday or a make-up working day."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    working: Mapped[bool]
    name: Mapped[str] = mapped_column(String(100))
