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
        self,
        actor: Principal,
        relation: Relation,
        obj: str,
        action: str,
        *,
        explain: str | Message | None = None,
    ) -> None:
        """Refuse unless the table lets ``actor`` act; the refusal names the action refused and
        the roles that may take it."""
        if not self.allows(actor, relation, obj, action):
            raise refusal(self.roles_for(obj, action), obj, action, explain)

    def actions(self) -> frozenset[tuple[str, str]]:
        """Every (object, action) pair some role may take."""
        return frozenset((obj, action) for _, _, obj, action in self._rules)

    def roles_for(self, obj: str, action: str) -> frozenset[Role]:
        return frozenset(Role(role) for role, _, o, a in self._rules if (o, a) == (obj, action))


ACTIONS = ActionPolicy()

# What each action of the table is, so that a refusal names what was refused in the reader's
# language. A test keeps it complete.
DOING: dict[tuple[str, str], Message] = {
    ("access_request", "file"): Message("file an access request"),
    ("access_request", "answer"): Message("answer a provider's question on an access request"),
    ("access_request", "withdraw"): Message("withdraw an access request"),
    ("access_request", "ask_info"): Message("ask the consumer for more information"),
    ("access_request", "approve"): Message("approve an access request"),
    ("access_request", "reject"): Message("reject an access request"),
    ("access_request", "confidentiality_review"): Message("give the confidentiality review"),
    ("access_request", "dispute"): Message("contest a provider's decision"),
    ("access_dispute", "rule"): Message("rule on a dispute"),
    ("grant", "revoke"): Message("revoke a grant"),
    ("grant", "create_statutory"): Message("record a statutory grant"),
    ("data", "read"): Message("read this data"),
    ("data", "verify"): Message("verify records against this data"),
    ("usage", "view"): Message("see the use of shared data"),
    ("usage", "report"): Message("report the use of shared data"),
    ("quality", "manage"): Message("manage quality checks and comparisons"),
    ("quality", "validate"): Message("validate a resource's data"),
    ("quality_issue", "open"): Message("open a quality issue"),
    ("quality_issue", "acknowledge"): Message("acknowledge a quality issue"),
    ("quality_issue", "answer"): Message("answer a quality issue"),
    ("quality_issue", "return"): Message("return a quality issue's answer"),
    ("quality_issue", "verify"): Message("verify a quality issue's answer"),
    ("quality_issue", "close"): Message("close a quality issue"),
    ("catalog_entry", "register"): Message("register a catalog entry"),
    ("catalog_entry", "edit"): Message("edit a catalog entry"),
    ("catalog_entry", "submit"): Message("submit a catalog entry for review"),
    ("catalog_entry", "approve"): Message("publish a catalog entry"),
    ("catalog_entry", "return"): Message("return a catalog entry to its registrar"),
    ("catalog_entry", "retire"): Message("retire a catalog entry"),
    ("catalog_update_task", "open"): Message("declare a key change of a resource"),
    ("catalog_update_task", "complete"): Message("complete a catalog update"),
    ("catalog", "govern"): Message("govern the city's catalog"),
    ("catalog", "review_duplicates"): Message("see the duplicate collection report"),
    ("source", "manage"): Message("manage a resource's sources"),
    ("usage_statement", "confirm"): Message("confirm a usage statement"),
    ("platform", "administer"): Message("administer the platform's calendar and classification"),
    ("identity", "manage"): Message("administer departments, users and tokens"),
    ("identity", "assign_roles"): Message("grant roles and reset second factors"),
    ("audit", "search"): Message("search the audit log"),
    ("supervision", "enforce"): Message("run the freshness enforcement"),
    ("supervision", "lift"): Message("lift a warning or a suspension"),
    ("supervision", "compute_scorecards"): Message("compute the scorecards"),
    ("supervision", "detect_violations"): Message("look for violations"),
    ("supervision", "decide_violation"): Message("decide on a violation"),
    ("supervision", "generate_statements"): Message("draw up usage statements"),
    ("project", "propose"): Message("propose a project"),
    ("project", "apply"): Message("apply for a project's technical review"),
    ("project", "file"): Message("file a project's documents"),
    ("project", "self_accept"): Message("accept a small project yourselves"),
    ("project", "review"): Message("review a project"),
    ("project", "accept"): Message("hold a project's acceptance"),
    ("project", "give_opinion"): Message("give an expert opinion on a project"),
    ("project_plan", "compile"): Message("compile the annual project plan"),
    ("project_plan", "endorse_for_reform"): Message(
        "endorse the annual project plan for the development-and-reform office"
    ),
    ("project_plan", "endorse_for_finance"): Message(
        "endorse the annual project plan for the finance office"
    ),
    ("project_funding", "decide"): Message("decide on withholding a unit's funds"),
    ("cloud_application", "apply"): Message("apply for cloud resources"),
    ("cloud_application", "file_test"): Message("file the trial's test report"),
    ("cloud_application", "review"): Message("accept, refuse or approve cloud applications"),
    ("cloud_application", "order"): Message("send work orders to cloud providers"),
    ("cloud_application", "extend_trial"): Message("extend a trial period"),
    ("cloud_application", "review_test"): Message("review trial test reports"),
    ("cloud_work_order", "open"): Message("open the resources of this work order"),
    ("cloud_work_order", "rate"): Message("rate the provider's work"),
    ("cloud_service", "file"): Message("file cloud services"),
    ("cloud_provider", "register"): Message("register cloud providers"),
}


def refusal(
    needed: frozenset[Role], obj: str, action: str, explain: str | Message | None = None
) -> PermissionDenied:
    """The refusal of ``action`` on ``obj``: what was refused, why, and who may."""
    detail = {"object": obj, "action": action, "required_roles": sorted(needed)}
    if explain is not None:
        return PermissionDenied(
            "{explain} (roles that may: {needed})",
            detail=detail,
            explain=explain if isinstance(explain, Message) else Message(explain),
            needed=", ".join(sorted(needed)),
        )
    return PermissionDenied(
        "you may not {doing}: that needs one of the roles {needed}",
        detail=detail,
        doing=DOING[obj, action],
        needed=", ".join(sorted(needed)),
    )


def relation_of(actor: Principal, *, provider_id: int, consumer_id: int | None = None) -> Relation:
    if actor.department_id == provider_id:
        return "provider"
    if consumer_id is None or actor.department_id == consumer_id:
        return "consumer"
    return "other"
