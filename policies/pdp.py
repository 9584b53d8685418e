"""The policy decision point for data: may this department read these items of that resource, in
this sharing mode, now — and if so, under which grant and row filter.

pycasbin decides over one policy line per grant, keyed on (department, resource, sharing mode)
with ``FastEnforcer`` so a decision looks at that triple's few lines instead of all of them: the
provider's and the unconditional lines are written once per mode for that reason, and a
department holding many grants on one resource in other modes costs a decision nothing. What a line
cannot hold — the grant's items, validity and row filter — sits beside it in ``GrantFacts``, read
by the matcher's ``usable()`` function. Expiry needs no event: validity is checked against the
time of each decision. Grants made or revoked elsewhere arrive through exchange.policy_changes.

pycasbin's key filter is state on the shared policy object, so decisions and updates take a lock.
"""

import threading
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import casbin
from casbin.model.policy_fast import fast_policy_filter
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.masking import MaskRule, effective_rule
from catalog.models import DataItem, Resource
from catalog.vocab import ResourceStatus, ShareType
from exchange.i18n import Message
from exchange.policy_changes import PolicyChange
from policies.decision_memo import DecisionMemo, Steady, steady_span
from policies.models import Grant, Suspension
from policies.vocab import ItemAccess, SharingMode, access_of

MODEL = Path(__file__).with_name("data_access.conf")
OWNER, UNCONDITIONAL, EVERYONE = "owner", "unconditional", "*"
_MODES = tuple(mode.value for mode in SharingMode)


def subject(department_id: int) -> str:
    return f"d{department_id}"


def grant_token(grant_id: int) -> str:
    return f"g{grant_id}"


@dataclass(frozen=True)
class GrantFacts:
    grant_id: int
    department_id: int
    resource_code: str
    items: frozenset[str]
    mode: str
    row_filter: dict[str, Any] | None
    valid_from: datetime
    valid_to: datetime | None
    basis: str
    masked: frozenset[str] = frozenset()  # items served through their masking rule
    verify_only: frozenset[str] = frozenset()  # items only verified against, never served
    pseudonym_key: str | None = None

    def in_force(self, at: datetime) -> bool:
        return self.valid_from <= at and (self.valid_to is None or at < self.valid_to)

    @property
    def served(self) -> frozenset[str]:
        """The items a read may return (masked or whole)."""
        return self.items - self.verify_only

    @classmethod
    def of(cls, grant: Grant, resource_code: str) -> "GrantFacts":
        def opened(access: ItemAccess) -> frozenset[str]:
            return frozenset(i for i in grant.items if access_of(grant.item_access, i) == access)

        return cls(
            grant.id,
            grant.consumer_department_id,
            resource_code,
            frozenset(grant.items),
            grant.mode,
            grant.row_filter,
            grant.valid_from,
            grant.valid_to,
            grant.basis,
            opened(ItemAccess.MASKED),
            opened(ItemAccess.VERIFY),
            grant.pseudonym_key,
        )


@dataclass(frozen=True)
class ResourceFacts:
    resource_id: int
    code: str
    provider_department_id: int
    published: bool
    items: tuple[str, ...]  # catalog order
    unconditional: frozenset[str]
    not_shared: tuple[tuple[str, str], ...] = ()  # (item, the legal basis for not sharing it)
    masks: Mapping[str, MaskRule] = field(default_factory=dict)  # conditional items' rules
    keys: tuple[str, ...] = ()  # the items that identify a record, for verification


@dataclass(frozen=True)
class Decision:
    allowed: bool
    basis: str  # owner | unconditional | approval | statutory | ruling | denied
    items: tuple[str, ...] = ()
    row_filter: dict[str, Any] | None = None
    grant_id: int | None = None
    denied_items: tuple[str, ...] = ()
    reason: Message = field(default_factory=lambda: Message(""))
    masked: Mapping[str, MaskRule] = field(default_factory=dict)  # decided items served masked
    pseudonym_key: str | None = None


class Use(StrEnum):
    READ = "read"  # values are returned (whole or masked)
    VERIFY = "verify"  # claims are checked; no value is returned


@dataclass(frozen=True)
class Wanted:
    """What a decision is asked about: these items, to be read or only verified."""

    items: frozenset[str]
    use: Use = Use.READ


class DataAccessPolicy:
    def __init__(self) -> None:
        self._enforcer = _ReusingEnforcer(str(MODEL), cache_key_order=[0, 1, 2])
        self._enforcer.add_function("usable", self._usable)
        self._policy = self._enforcer.get_model().model["p"]["p"].policy
        self._grants: dict[str, GrantFacts] = {}
        self._resources: dict[str, ResourceFacts] = {}
        self._codes: dict[int, str] = {}
        # R11: departments whose grants are suspended, with the reason readers are told.
        self._suspended: dict[int, Message] = {}
        self._lock = threading.RLock()
        # Every change (load, replace_all, apply) forgets what was remembered, under the lock.
        self._memo: DecisionMemo[Decision] = DecisionMemo()

    # -- loading ---------------------------------------------------------------------------

    def load(self, session: Session) -> None:
        """Build every line from the database; done once before serving and after a lost notice."""
        resources = list(_resource_facts(session, None))
        grants = session.execute(
            select(Grant, Resource.code)
            .join(Resource, Resource.id == Grant.resource_id)
            .where(Grant.revoked_at.is_(None))
        ).all()
        self.replace_all(resources, (GrantFacts.of(grant, code) for grant, code in grants))
        suspended = session.scalars(select(Suspension).where(Suspension.state == "suspended"))
        with self._lock:
            self._suspended = {s.department_id: _suspension_reason(s) for s in suspended}
            self._memo.forget()

    def replace_all(self, resources: Iterable[ResourceFacts], grants: Iterable[GrantFacts]) -> None:
        with self._lock:
            self._memo.forget()
            self._enforcer.clear_policy()
            self._policy = self._enforcer.get_model().model["p"]["p"].policy
            self._grants.clear()
            self._resources.clear()
            self._codes.clear()
            for facts in resources:
                self._put_resource(facts)
            for grant in grants:
                self._put_grant(grant)

    def apply(self, session: Session, change: PolicyChange) -> None:
        """Reload what one change touched: a grant, or a resource's catalog facts."""
        if change.topic == "grant":
            row = session.execute(
                select(Grant, Resource.code)
                .join(Resource, Resource.id == Grant.resource_id)
                .where(Grant.id == change.key)
            ).first()
            with self._lock:
                self._memo.forget()
                self._drop_grant(grant_token(change.key))
                if row is not None and row[0].revoked_at is None:
                    self._put_grant(GrantFacts.of(row[0], row[1]))
        elif change.topic == "suspension":  # key: the department
            active = session.scalar(
                select(Suspension).where(
                    Suspension.department_id == change.key, Suspension.state == "suspended"
                )
            )
            with self._lock:
                self._memo.forget()
                self._suspended.pop(change.key, None)
                if active is not None:
                    self._suspended[change.key] = _suspension_reason(active)
        elif change.topic == "resource":
            facts = _resource_facts(session, change.key)
            with self._lock:
                self._memo.forget()
                self._drop_resource(change.key)
                for each in facts:
                    self._put_resource(each)

    def _put_grant(self, facts: GrantFacts) -> None:
        token = grant_token(facts.grant_id)
        self._grants[token] = facts
        self._policy.append([subject(facts.department_id), facts.resource_code, facts.mode, token])

    def _drop_grant(self, token: str) -> None:
        facts = self._grants.pop(token, None)
        if facts is not None:
            self._policy.remove(
                [subject(facts.department_id), facts.resource_code, facts.mode, token]
            )

    def _put_resource(self, facts: ResourceFacts) -> None:
        self._resources[facts.code] = facts
        self._codes[facts.resource_id] = facts.code
        for mode in _MODES:
            self._policy.append([subject(facts.provider_department_id), facts.code, mode, OWNER])
            self._policy.append([EVERYONE, facts.code, mode, UNCONDITIONAL])

    def _drop_resource(self, resource_id: int) -> None:
        code = self._codes.pop(resource_id, None)
        facts = self._resources.pop(code, None) if code else None
        if facts is not None:
            for mode in _MODES:
                owner = [subject(facts.provider_department_id), facts.code, mode, OWNER]
                self._policy.remove(owner)
                self._policy.remove([EVERYONE, facts.code, mode, UNCONDITIONAL])

    # -- deciding --------------------------------------------------------------------------

    def resource(self, code: str) -> ResourceFacts | None:
        return self._resources.get(code)

    def decide(
        self,
        *,
        department_id: int,
        code: str,
        mode: str,
        at: datetime,
        items: Collection[str] | None = None,
        grant_id: int | None = None,
        use: Use = Use.READ,
    ) -> Decision:
        """Allow or deny reading ``items`` (all the caller may read when None) of ``code`` — or,
        with ``use`` VERIFY, checking claims against them."""
        asked = None if items is None else frozenset(items)
        question = (department_id, code, mode, asked, grant_id, use)
        with self._lock:
            decision = self._memo.get(question, at)
            if decision is None:
                decision = self._decide(department_id, code, mode, at, asked, grant_id, use)
                span = self._steady_span(department_id, code, mode, at)
                self._memo.keep(question, Steady(decision, *span))
            return decision

    def _steady_span(
        self, department_id: int, code: str, mode: str, at: datetime
    ) -> tuple[datetime | None, datetime | None]:
        """The span around ``at`` in which no grant on the lines that a decision for this
        department, resource and mode looks at starts or ends."""
        # Grants sit on their department's lines only; the everyone lines hold none.
        grants = self._grants_on_lines(subject(department_id), code, mode)
        return steady_span((moment for g in grants for moment in (g.valid_from, g.valid_to)), at)

    def _decide(
        self,
        department_id: int,
        code: str,
        mode: str,
        at: datetime,
        items: frozenset[str] | None,
        grant_id: int | None,
        use: Use,
    ) -> Decision:
        facts = self._resources.get(code)
        if facts is None:
            return Decision(False, "denied", reason=Message("no data resource {code}", code=code))
        sub = subject(department_id)
        wanted = Wanted(
            items
            if items is not None
            else self._everything_readable(sub, facts, mode, at, grant_id),
            use,
        )
        for who in (sub, EVERYONE):
            if grant_id is not None and who == EVERYONE:
                break  # a named grant is looked for among the department's own lines
            with fast_policy_filter(self._policy, who, code, mode):
                allowed, rule = self._enforcer.enforce_ex(
                    who,
                    code,
                    mode,
                    at,
                    wanted,
                    "" if grant_id is None else grant_token(grant_id),
                )
            if allowed:
                return self._allow(facts, rule[3], wanted)
        return self._deny(department_id, facts, mode, at, wanted, grant_id)

    def _usable(self, token: str, code: str, at: datetime, wanted: Wanted) -> bool:
        facts = self._resources.get(code)
        if facts is None:
            return False
        items = wanted.items
        if token == OWNER:
            return items <= set(facts.items)
        if not facts.published:
            return False
        if token == UNCONDITIONAL:
            return items <= facts.unconditional
        grant = self._grants.get(token)
        if grant is None or not self._in_force(grant, at):
            return False
        opened = grant.items if wanted.use == Use.VERIFY else grant.served
        return items <= (opened | facts.unconditional)

    def _in_force(self, grant: GrantFacts, at: datetime) -> bool:
        """Within its validity, and its department's grants not suspended (R11)."""
        return grant.in_force(at) and grant.department_id not in self._suspended

    def _allow(self, facts: ResourceFacts, token: str, wanted: Wanted) -> Decision:
        ordered = tuple(name for name in facts.items if name in wanted.items)
        if token in (OWNER, UNCONDITIONAL):
            return Decision(True, token, ordered)
        grant = self._grants[token]
        masked = {n: facts.masks[n] for n in ordered if n in grant.masked and n in facts.masks}
        return Decision(
            True, grant.basis, ordered, grant.row_filter, grant.grant_id,
            masked=masked, pseudonym_key=grant.pseudonym_key,
        )  # fmt: skip

    def _grants_in_force(
        self, sub: str, facts: ResourceFacts, mode: str, at: datetime
    ) -> list[GrantFacts]:
        found = self._grants_on_lines(sub, facts.code, mode)
        return [g for g in found if self._in_force(g, at) and facts.published]

    def _grants_on_lines(self, sub: str, code: str, mode: str) -> list[GrantFacts]:
        """The grants on the policy lines of this subject, resource and mode, in force or not."""
        with fast_policy_filter(self._policy, sub, code, mode):
            tokens = [line[3] for line in self._policy]
        return [g for g in (self._grants.get(token) for token in tokens) if g is not None]

    def _everything_readable(
        self, sub: str, facts: ResourceFacts, mode: str, at: datetime, grant_id: int | None
    ) -> frozenset[str]:
        """Without a list of items: everything the owner has, or the named or newest grant's items
        with the unconditional ones."""
        if sub == subject(facts.provider_department_id):
            return frozenset(facts.items)
        grants = self._grants_in_force(sub, facts, mode, at)
        if grant_id is not None:
            grants = [g for g in grants if g.grant_id == grant_id]
        newest = max(grants, key=lambda g: g.grant_id, default=None)
        extra = newest.served if newest is not None else frozenset()
        return (facts.unconditional if facts.published else frozenset()) | extra

    def _deny(
        self,
        department_id: int,
        facts: ResourceFacts,
        mode: str,
        at: datetime,
        asked: Wanted,
        grant_id: int | None,
    ) -> Decision:
        wanted = asked.items
        grants = self._grants_in_force(subject(department_id), facts, mode, at)
        if grant_id is not None:
            named = [g for g in grants if g.grant_id == grant_id]
            if not named:
                return Decision(
                    False,
                    "denied",
                    denied_items=tuple(sorted(wanted)),
                    reason=Message(
                        "grant {grant_id} is not in force for your department, this resource "
                        "and the {mode} mode",
                        grant_id=grant_id,
                        mode=mode,
                    ),
                )
            grants = named
        open_items = facts.unconditional if facts.published else frozenset()
        reading = asked.use == Use.READ
        covered = set(open_items).union(*(g.served if reading else g.items for g in grants))
        unknown = sorted(wanted - set(facts.items))
        uncovered = sorted(wanted - covered)
        verify_only = set(uncovered).intersection(set().union(*(g.verify_only for g in grants)))
        code = facts.code
        if unknown:
            reason = Message(
                "not data items of {code}: {items}", code=code, items=", ".join(unknown)
            )
        elif uncovered and department_id in self._suspended:
            reason = Message(
                "your department's grants are suspended because {why}; they come back when its "
                "data is up to date again, or by a decision of the bureau",
                why=self._suspended[department_id],
            )
        elif barred := [(n, basis) for n, basis in facts.not_shared if n in uncovered]:
            reason = Message(
                "{items} of {code} are not shared, by law — {bases}; only a grant a law requires "
                "can make them readable",
                items=", ".join(n for n, _ in barred), code=code,
                bases="; ".join(f"{n}: {basis}" for n, basis in barred),
            )  # fmt: skip
        elif verify_only and reading:
            reason = Message(
                "{items} of {code} are open to your department for verification only: post the "
                "values you hold to /api/v1/data/{code}/verify and each is answered match or "
                "mismatch",
                items=", ".join(sorted(verify_only)), code=code,
            )  # fmt: skip
        elif uncovered:
            reason = Message(
                "no grant in force lets your department read {items} of {code} in the {mode} "
                "mode; request them",
                items=", ".join(uncovered), code=code, mode=mode,
            )  # fmt: skip
        else:
            reason = Message(
                "no single grant covers all of these items; read them under separate grants"
            )
        return Decision(
            False,
            "denied",
            denied_items=tuple(unknown or uncovered or sorted(wanted)),
            reason=reason,
        )

    def readable_items(self, *, department_id: int, code: str, at: datetime) -> frozenset[str]:
        """Every item of ``code`` the department may read whole now, in any mode: for reports that
        show values (quality findings), which must show no more than a read would — so not the
        items it reads masked or only verifies."""
        with self._lock:
            facts = self._resources.get(code)
            if facts is None:
                return frozenset()
            if department_id == facts.provider_department_id:
                return frozenset(facts.items)
            if not facts.published:
                return frozenset()
            sub = subject(department_id)
            tokens = []
            for mode in _MODES:
                with fast_policy_filter(self._policy, sub, code, mode):
                    tokens += [line[3] for line in self._policy]
            grants = (self._grants.get(token) for token in tokens)
            granted = [
                g.items - g.masked - g.verify_only
                for g in grants
                if g is not None and self._in_force(g, at)
            ]
            return facts.unconditional.union(*granted)

    def grant_count(self) -> int:
        return len(self._grants)


def _suspension_reason(suspension: Suspension) -> Message:
    return Message(
        "{reason}, since {day}", reason=suspension.reason, day=f"{suspension.suspended_at:%Y-%m-%d}"
    )


def _resource_facts(session: Session, resource_id: int | None) -> Iterable[ResourceFacts]:
    query = select(Resource).where(Resource.published_version_id.is_not(None))
    if resource_id is not None:
        query = query.where(Resource.id == resource_id)
    resources = list(session.scalars(query))
    items: dict[int, list[DataItem]] = {}
    version_ids = [r.published_version_id for r in resources]
    for item in session.scalars(
        select(DataItem).where(DataItem.version_id.in_(version_ids)).order_by(DataItem.position)
    ):
        items.setdefault(item.version_id, []).append(item)
    for resource in resources:
        assert resource.published_version_id is not None
        version_items = items.get(resource.published_version_id, [])
        yield ResourceFacts(
            resource.id,
            resource.code,
            resource.provider_department_id,
            resource.status == ResourceStatus.PUBLISHED,
            tuple(i.name for i in version_items),
            frozenset(i.name for i in version_items if i.share_type == ShareType.UNCONDITIONAL),
            tuple(
                (i.name, i.legal_basis or "")
                for i in version_items
                if i.share_type == ShareType.NOT_SHARED
            ),
            {
                i.name: effective_rule(i.data_type, i.value_format, i.masking)
                for i in version_items
                if i.share_type == ShareType.CONDITIONAL
            },
            tuple(i.name for i in version_items if i.is_key),
        )


class _ReusingEnforcer(casbin.FastEnforcer):  # type: ignore[misc]
    """pycasbin parses the matcher into a new evaluator on every decision, a fifth of its cost.
    The matcher never changes and decisions are taken under the decision point's lock, so one
    evaluator per matcher serves them all."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._evaluators: dict[tuple[str, int], Any] = {}

    def _get_expression(self, expr: str, functions: Any = None) -> Any:
        key = (expr, id(functions))
        evaluator = self._evaluators.get(key)
        if evaluator is None:
            evaluator = self._evaluators[key] = super()._get_expression(expr, functions)
        return evaluator
