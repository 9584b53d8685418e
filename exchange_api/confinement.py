"""Where a cloud provider's staff may go (R33): a provider is an outside company, so its people
work on the work orders addressed to it — the API's work-order and own-catalog routes and the
portal's work-order pages, their inbox and tasks — and are refused everything else of the
platform, whatever a route would otherwise show a signed-in user."""

from exchange.errors import PermissionDenied
from exchange.identity.roles import Role
from exchange.principal import Principal

PROVIDER_PATHS = (
    "/api/v1/cloud/work-orders",
    "/api/v1/cloud/providers/",
    "/api/v1/me",
    "/api/v1/auth/",
    "/api/v1/notifications",
    "/api/v1/deadlines",
    "/cloud/work-orders",
    "/notifications",
    "/logout",
    "/account",
)


def may_visit(principal: Principal, path: str) -> bool:
    """Whether the person's confinement lets them open ``path`` (the portal's home page is
    everybody's)."""
    return (
        Role.CLOUD_PROVIDER not in principal.roles or path == "/" or path.startswith(PROVIDER_PATHS)
    )


def confine(principal: Principal, path: str) -> None:
    """Refuse a provider's staff a path outside their work."""
    if not may_visit(principal, path):
        raise PermissionDenied(
            "a cloud provider's staff work only on the work orders addressed to their company",
            detail={"path": path[:200]},
        )
