"""The data decision point of a running API process, kept current as grants and entries change."""

import logging
import threading

from exchange.db import Database
from exchange.policy_changes import PolicyChange, PostgresListener
from policies.pdp import DataAccessPolicy

log = logging.getLogger(__name__)


class LiveAccessPolicy:
    """Loads every policy line once, then applies each change: those committed by this process
    straight after their commit, those of other processes as PostgreSQL delivers their notices."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.pdp = DataAccessPolicy()
        self._started = False
        self._start_lock = threading.Lock()
        self._listener: PostgresListener | None = None

    def start(self) -> DataAccessPolicy:
        with self._start_lock:
            if not self._started:
                self.database.change_bus.subscribe(self.apply)
                if self.database.dialect == "postgresql":
                    # Listen before loading: a change committed in between is then applied twice
                    # at worst, never missed.
                    self._listener = PostgresListener(self.database.url, self.apply, self.reload)
                    self._listener.start()
                self.reload()
                self._started = True
        return self.pdp

    def stop(self) -> None:
        self.database.change_bus.unsubscribe(self.apply)
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        self._started = False

    def reload(self) -> None:
        with self.database.sessions() as session:
            self.pdp.load(session)
        log.info("access policy loaded: %d grants in force or pending", self.pdp.grant_count())

    def apply(self, change: PolicyChange) -> None:
        with self.database.sessions() as session:
            self.pdp.apply(session, change)
