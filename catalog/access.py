"""Who may do what to a catalog entry. The provider department's own staff act on its entries;
the bureau's administrators oversee every department."""

from catalog.models import Resource
from catalog.vocab import ResourceStatus
from exchange.errors import Hidden, PermissionDenied
from exchange.identity.roles import Role
from exchange.principal import Principal


def is_provider_staff(actor: Principal, resource: Resource) -> bool:
    return actor.is_system or actor.department_id == resource.provider_department_id


def require_provider_role(actor: Principal, resource: Resource, *roles: Role, doing: str) -> None:
    require_visible(actor, resource)  # a draft of another department does not exist for them
    if not is_provider_staff(actor, resource):
        raise PermissionDenied(
            "only the providing department may {doing} entry {code}",
            detail={"resource": resource.code, "required_roles": sorted(roles)},
            doing=doing,
            code=resource.code,
        )
    if not actor.has_any(*roles):
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
    if is_provider_staff(actor, resource) or actor.has_any(Role.BUREAU_ADMIN):
        return
    raise Hidden("no catalog entry {code}", code=resource.code)


def require_bureau(actor: Principal, doing: str) -> None:
    if not actor.has_any(Role.BUREAU_ADMIN):
        raise PermissionDenied("only the bureau's administrators {doing}", doing=doing)
