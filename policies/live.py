"""The data decision point of a running API process, kept current as grants and entries change."""

import logging
import threading

from exchange.db import Database
from exchange.policy_changes import PolicyChange
from policies.pdp import DataAccessPolicy

log = logging.getLogger(__name__)


class LiveAccessPolicy:
    """Loads every policy line once, then applies each change published on the database's bus:
    those committed by this process straight after their commit, those of other processes as
    PostgreSQL delivers their notices."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.pdp = DataAccessPolicy()
        self._started = False
        self._start_lock = threading.Lock()

    def start(self) -> DataAccessPolicy:
        with self._start_lock:
            if not self._started:
                self.database.change_bus.subscribe(self.apply)
                # Follow before loading: a change committed in between is then applied twice at
                # worst, never missed.
                self.database.follow_other_processes()
                self.reload()
                self._started = True
        return self.pdp

    def stop(self) -> None:
        self.database.change_bus.unsubscribe(self.apply)
        self._started = False

    def reload(self) -> None:
        with self.database.sessions() as session:
            self.pdp.load(session)
        log.info("access policy loaded: %d grants in force or pending", self.pdp.grant_count())

    def apply(self, change: PolicyChange) -> None:
        if change.topic == "all":
            self.reload()
            return
        if change.topic not in ("grant", "resource", "suspension"):
            return
        with self.database.sessions() as session:
            self.pdp.apply(session, change)
