"""Who administers accounts (R21, 三员分立): the system administrator keeps departments, users
and others' tokens; the security administrator alone grants the privileged roles; nobody changes
their own roles or holds two of the separated administrators' roles."""

from exchange.actions import ACTIONS
from exchange.errors import Conflict, PermissionDenied
from exchange.identity.roles import PRIVILEGED, SEPARATED_ADMINISTRATORS
from exchange.principal import Principal


def require_account_keeper(actor: Principal) -> None:
    """Departments, users and others' tokens are the system administrator's (R21)."""
    ACTIONS.require(actor, "other", "identity", "manage")


def may_administer(actor: Principal) -> bool:
    """Whether ``actor`` keeps the accounts: departments, users, others' tokens."""
    return ACTIONS.allows(actor, "other", "identity", "manage")


def check_role_grant(
    actor: Principal, user_id: int | None, before: set[str], after: set[str]
) -> None:
    """R21 (三员分立): the privileged roles are the security administrator's to grant or take away,
    never by anyone to themselves, and no person holds two of the separated administrators."""
    changed = before ^ after
    if changed & PRIVILEGED and not ACTIONS.allows(actor, "other", "identity", "assign_roles"):
        raise PermissionDenied(
            "only the security administrator grants or removes {roles}",
            detail={"roles": sorted(changed & PRIVILEGED)},
            roles=", ".join(sorted(changed & PRIVILEGED)),
        )
    if changed and user_id is not None and actor.user_id == user_id:
        raise PermissionDenied("nobody changes their own roles")
    held = sorted(after & SEPARATED_ADMINISTRATORS)
    if len(held) > 1:
        raise Conflict(
            "one person may not be {roles} at once: the three administrators check each other",
            detail={"roles": held, "rule": "separated_administrators"},
            roles=" and ".join(held),
        )
