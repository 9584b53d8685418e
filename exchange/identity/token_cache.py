"""Bearer tokens checked once, then remembered: the data API answers thousands of small reads a
second, and a database round trip per request to find the caller would cost more than the read.

A remembered token is dropped as soon as its user's roles change or one of the user's tokens is
revoked (a ``user`` notice on the database's change bus, from this process or, once the process
follows the others, from another) and at the latest after ``ttl``; its expiry is checked on every
use. The database check, which also records when the token was last used, runs again for each
token at most once per ``ttl``.
"""

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from exchange.db import Database
from exchange.identity.secrets import token_digest
from exchange.identity.service import authenticate_token, ends_at, principal_for
from exchange.policy_changes import PolicyChange
from exchange.principal import Principal


@dataclass(frozen=True)
class _Known:
    principal: Principal
    expires_at: datetime
    checked_at: datetime


class TokenCache:
    def __init__(self, database: Database, ttl: timedelta = timedelta(minutes=1)) -> None:
        self.database = database
        self.ttl = ttl
        self._known: dict[str, _Known] = {}
        self._lock = threading.Lock()
        database.change_bus.subscribe(self._forget)

    def remembered(self, secret: str, now: datetime) -> Principal | None:
        """The caller, if the token was checked within ``ttl`` and has not expired since."""
        known = self._known.get(token_digest(secret))
        if known is None or known.expires_at <= now or now - known.checked_at >= self.ttl:
            return None
        return known.principal

    def authenticate(self, secret: str, now: datetime) -> Principal:
        """Check the token in the database (raising AuthenticationFailed) and remember it."""
        with self.database.transaction() as session:
            token = authenticate_token(session, secret=secret, now=now)
            principal = principal_for(token.user)
        with self._lock:  # an idle portal session ends at its idle time: remembered till then
            self._known[token.token_hash] = _Known(principal, ends_at(token), now)
        return principal

    def _forget(self, change: PolicyChange) -> None:
        if change.topic not in ("user", "all"):
            return
        with self._lock:
            if change.topic == "all":
                self._known.clear()
            else:
                for digest in [
                    d for d, k in self._known.items() if k.principal.user_id == change.key
                ]:
                    del self._known[digest]
