"""Who may do what to a catalog entry. The provider department's own staff act on its entries,
each action open to the roles the action table (exchange/actions.csv) names for it; the bureau's
administrators oversee every department."""

from catalog.models import Resource
from catalog.vocab import ResourceStatus
from exchange.actions import ACTIONS
from exchange.errors import Hidden, PermissionDenied
from exchange.identity.visibility import Records, sees_all
from exchange.principal import Principal


def is_provider_staff(actor: Principal, resource: Resource) -> bool:
    return actor.is_system or actor.department_id == resource.provider_department_id


def require_provider_action(
    actor: Principal, resource: Resource, action: str, *, doing: str, obj: str = "catalog_entry"
) -> None:
    """``actor`` may take ``action`` on the entry: its department provides it and the action
    table gives one of its roles the action."""
    require_visible(actor, resource)  # a draft of another department does not exist for them
    roles = ACTIONS.roles_for(obj, action)
    if not is_provider_staff(actor, resource):
        raise PermissionDenied(
            "only the providing department may {doing} entry {code}",
            detail={"resource": resource.code, "required_roles": sorted(roles)},
            doing=doing,
            code=resource.code,
        )
    if not ACTIONS.allows(actor, "provider", obj, action):
        raise PermissionDenied(
            "to {doing} an entry you need one of the roles: {roles}",
            detail={"resource": resource.code, "required_roles": sorted(roles)},
            doing=doing,
            roles=", ".join(sorted(roles)),
        )


def require_visible(actor: Principal, resource: Resource) -> None:
    """Published and retired entries are for everyone; drafts only for their department."""
    if resource.status in (ResourceStatus.PUBLISHED, ResourceStatus.RETIRED):
        return
    if is_provider_staff(actor, resource) or sees_all(actor, Records.CATALOG_DRAFT):
        return
    raise Hidden("no catalog entry {code}", code=resource.code)


def may_register(actor: Principal) -> bool:
    """Whether ``actor`` registers entries for its own department."""
    return actor.department_id is not None and ACTIONS.allows(
        actor, "provider", "catalog_entry", "register"
    )


def require_bureau(actor: Principal, doing: str) -> None:
    if not ACTIONS.allows(actor, "other", "catalog", "govern"):
        raise PermissionDenied("only the bureau's administrators {doing}", doing=doing)
