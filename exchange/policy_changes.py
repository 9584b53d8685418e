"""Tell every process that access policy changed: a grant made or revoked, an entry published or
retired, a user's roles changed or a token revoked. The policy decision point and the token cache
of each API process reload just what changed.

Within a process, listeners run after the commit, so a change is never seen before it is durable
and never at all if the transaction rolls back. Across processes on PostgreSQL the notice is a
``NOTIFY`` sent inside the transaction, which PostgreSQL delivers on commit and drops on rollback;
one listener thread per process receives it. SQLite is the single-process embedded setup: there the
in-process path is all there is.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    import psycopg

CHANNEL = "exchange_policy"
_PENDING = "exchange.policy_changes"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PolicyChange:
    # "grant", "resource", "suspension", "user", "data" (a snapshot committed or a resource's
    # quality status changed: which snapshot is served), "search" (a resource's search entry
    # was rewritten: catalog.search_index), or "all" (notices may have been missed)
    topic: str
    key: int

    def encode(self) -> str:
        return f"{self.topic}:{self.key}"

    @classmethod
    def decode(cls, payload: str) -> "PolicyChange":
        topic, _, key = payload.partition(":")
        return cls(topic, int(key))


Listener = Callable[[PolicyChange], None]


# Published after the listener reconnects: whatever caches policy reloads all of it.
EVERYTHING = PolicyChange("all", 0)


class ChangeBus:
    """The listeners of one database's policy changes in this process. On PostgreSQL,
    :meth:`follow` also brings the changes other processes commit."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._follower: PostgresListener | None = None
        self._follow_lock = threading.Lock()

    def follow(self, url: str) -> None:
        """Start (once) the thread that publishes other processes' changes here."""
        with self._follow_lock:
            if self._follower is None:
                self._follower = PostgresListener(
                    url, self.publish, lambda: self.publish(EVERYTHING)
                )
                self._follower.start()

    @property
    def following(self) -> bool:
        """Whether other processes' changes reach this process (PostgreSQL, once followed)."""
        return self._follower is not None

    def stop_following(self) -> None:
        with self._follow_lock:
            if self._follower is not None:
                self._follower.stop()
                self._follower = None

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def publish(self, change: PolicyChange) -> None:
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:  # one broken listener must not stop the others
                log.exception("policy change listener failed for %s", change.encode())


def announce(session: Session, topic: str, key: int) -> None:
    """Record that ``topic`` ``key`` changed; listeners hear of it once ``session`` commits."""
    bus: ChangeBus | None = session.info.get("change_bus")
    change = PolicyChange(topic, key)
    pending: list[PolicyChange] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []

        def after_commit(committed: Session) -> None:
            changes = committed.info.pop(_PENDING, [])
            if bus is not None:
                for each in changes:
                    bus.publish(each)

        def after_rollback(rolled_back: Session, _transaction: object) -> None:
            rolled_back.info.pop(_PENDING, None)

        event.listen(session, "after_commit", after_commit, once=True)
        event.listen(session, "after_soft_rollback", after_rollback, once=True)
    pending.append(change)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {
                "channel": CHANNEL,
                "payload": change.encode(),
            },
        )


def pending(session: Session) -> list[PolicyChange]:
    """The changes ``session`` announced that wait for its commit."""
    return list(session.info.get(_PENDING, []))


class PostgresListener:
    """A thread that LISTENs on the channel and hands each notice from other processes to the bus.

    Notices of this process's own commits arrive too; reloading a grant twice is harmless. After a
    lost connection it reconnects and asks for a full reload, since notices may have been missed.
    """

    def __init__(self, url: str, on_change: Listener, on_reconnect: Callable[[], None]) -> None:
        parsed = make_url(url)
        self._dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        self._on_change, self._on_reconnect = on_change, on_reconnect
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="policy-listener", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        self._thread.start()
        self._ready.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        import psycopg

        first = True
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    if not first:
                        self._on_reconnect()
                    first = False
                    self._ready.set()
                    self._listen(connection)
            except Exception:
                log.exception("policy listener lost its connection; reconnecting")
                self._stop.wait(1.0)

    def _listen(self, connection: "psycopg.Connection[Any]") -> None:
        while not self._stop.is_set():
            # Each pass yields the notices as they arrive and ends after half a second of
            # silence, so stop() is noticed promptly.
            for notice in connection.notifies(timeout=0.5):
                self._on_change(PolicyChange.decode(notice.payload))
