"""Which roles may take which workflow action, decided by pycasbin over ``actions.csv``.

The acting department's relation to the object (``provider``, ``consumer``, ``other``) comes from
the caller, which knows the object; the rule table says which role in which relation may act.
The access workflows take their transitions' roles from the same table, so it is the one place
that says who does what.
"""

import functools
from pathlib import Path
from typing import Literal

import casbin

from exchange.errors import PermissionDenied
from exchange.i18n import Message
from exchange.identity.roles import Role
from exchange.principal import Principal

Relation = Literal["provider", "consumer", "other"]
_HERE = Path(__file__).parent


class ActionPolicy:
    def __init__(self) -> None:
        self._enforcer = casbin.Enforcer(str(_HERE / "actions.conf"), str(_HERE / "actions.csv"))
        self._rules = [tuple(rule) for rule in self._enforcer.get_policy()]

    def allows(self, actor: Principal, relation: Relation, obj: str, action: str) -> bool:
        if actor.is_system:
            return True
        return self._any_role_allows(actor.roles, relation, obj, action)

    # The rule table is fixed for the life of the process, so each answer is too; this sits on
    # the path of every data read.
    @functools.lru_cache(maxsize=4096)  # noqa: B019 (one instance, kept for the process)
    def _any_role_allows(
        self, roles: frozenset[Role], relation: Relation, obj: str, action: str
    ) -> bool:
        return any(self._enforcer.enforce(str(role), relation, obj, action) for role in roles)

    def require(
        self, actor: Principal, relation: Relation, obj: str, action: str, *, explain: str | Message
    ) -> None:
        if not self.allows(actor, relation, obj, action):
            needed = self.roles_for(obj, action)
            raise PermissionDenied(
                "{explain} (roles that may: {needed})",
                detail={"object": obj, "action": action, "required_roles": sorted(needed)},
                explain=explain if isinstance(explain, Message) else Message(explain),
                needed=", ".join(sorted(needed)),
            )

    def roles_for(self, obj: str, action: str) -> frozenset[Role]:
        return frozenset(Role(role) for role, _, o, a in self._rules if (o, a) == (obj, action))


ACTIONS = ActionPolicy()


def relation_of(actor: Principal, *, provider_id: int, consumer_id: int | None = None) -> Relation:
    if actor.department_id == provider_id:
        return "provider"
    if consumer_id is None or actor.department_id == consumer_id:
        return "consumer"
    return "other"
