"""Working days (R23): the official calendar and the one function that computes deadlines."""

from exchange.workdays.calendar import WorkingDayCalendar
from exchange.workdays.deadline import ComputedDeadline, working_day_deadline, working_days_left

__all__ = ["ComputedDeadline", "WorkingDayCalendar", "working_day_deadline", "working_days_left"]
