"""Decisions remembered until the policy changes or a grant they looked at starts or ends.

A decision is a function of the policy and of the time. The policy changes only through the
decision point, which forgets every remembered decision when it does. Time matters only through
the validity of the grants on the policy lines the decision looked at: between two consecutive
starts or ends of those grants, the same question has the same answer. So a decision is kept with
that span and given again only for a time inside it. A small read asks the same question over and
over; answering it from here costs a dictionary lookup instead of a pycasbin evaluation.
"""

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

D = TypeVar("D")


@dataclass(frozen=True)
class Steady(Generic[D]):
    """A decision and the span of time in which it stays the answer (None: unbounded)."""

    decision: D
    since: datetime | None
    until: datetime | None

    def holds_at(self, at: datetime) -> bool:
        return (self.since is None or self.since <= at) and (self.until is None or at < self.until)


def steady_span(
    boundaries: Iterable[datetime | None], at: datetime
) -> tuple[datetime | None, datetime | None]:
    """The span around ``at`` that no boundary (a grant's start or end) cuts: from the last
    boundary at or before ``at`` to the first after it."""
    since: datetime | None = None
    until: datetime | None = None
    for boundary in boundaries:
        if boundary is None:
            continue
        if boundary <= at:
            since = boundary if since is None else max(since, boundary)
        else:
            until = boundary if until is None else min(until, boundary)
    return since, until


class DecisionMemo(Generic[D]):
    """Remembered decisions by question. Not thread-safe on its own: the decision point holds its
    lock around every use. Bounded: when full, it starts over (the questions asked again come
    back at once)."""

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._steady: dict[Hashable, Steady[D]] = {}

    def get(self, question: Hashable, at: datetime) -> D | None:
        steady = self._steady.get(question)
        if steady is None or not steady.holds_at(at):
            return None
        return steady.decision

    def keep(self, question: Hashable, steady: Steady[D]) -> None:
        if len(self._steady) >= self.capacity:
            self._steady.clear()
        self._steady[question] = steady

    def forget(self) -> None:
        self._steady.clear()

    def __len__(self) -> int:
        return len(self._steady)
