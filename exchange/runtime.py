"""The running platform: settings, database and clock, shared by the API, the CLI and DAG tasks."""

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from exchange.clock import Clock, SystemClock
from exchange.db import Database
from exchange.settings import Settings
from exchange.workdays import WorkingDayCalendar
from exchange.workdays.schedule import load_calendar
from exchange.workflow import WorkflowEnvironment


@dataclass
class Platform:
    settings: Settings
    database: Database
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def create(cls, settings: Settings | None = None, clock: Clock | None = None) -> "Platform":
        settings = settings or Settings()
        database = Database(settings.resolved_database_url, pool_size=settings.database_pool_size)
        return cls(settings, database, clock or SystemClock())

    def calendar(self, session: Session) -> WorkingDayCalendar:
        return load_calendar(session, self.settings.zone)

    def workflow_environment(self, session: Session) -> WorkflowEnvironment:
        return WorkflowEnvironment(
            now=self.clock.now(), calendar=self.calendar(session), settings=self.settings
        )
