"""A change announced in a transaction reaches the listeners once it commits, never if it rolls
back; a transaction that fails after announcing fails with its own error (R14: a grant decided
and then refused by a later check is never heard of)."""

import pytest

from exchange.db import Database
from exchange.policy_changes import PolicyChange, announce


def test_r14_a_rolled_back_change_is_never_heard_and_the_failure_stays_its_own(
    database: Database,
) -> None:
    heard: list[PolicyChange] = []
    database.change_bus.subscribe(heard.append)
    with pytest.raises(ValueError, match="refused by a later check"):
        _announce_then_fail(database)
    with database.transaction() as session:
        announce(session, "grant", 2)
    assert heard == [PolicyChange("grant", 2)]


def _announce_then_fail(database: Database) -> None:
    with database.transaction() as session:
        announce(session, "grant", 1)
        raise ValueError("refused by a later check")
