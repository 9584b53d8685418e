"""Dependencies shared by every router: the platform, the request's unit of work, the caller."""

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from exchange.actions import ACTIONS
from exchange.errors import AuthenticationFailed
from exchange.identity.token_cache import TokenCache
from exchange.principal import Principal
from exchange.runtime import Platform
from exchange_api.confinement import confine

_bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer exg_…`")


async def get_platform(request: Request) -> Platform:  # async: no thread hop for a lookup
    platform: Platform = request.app.state.platform
    return platform


AppPlatform = Annotated[Platform, Depends(get_platform)]


def get_session(platform: AppPlatform) -> Iterator[Session]:
    """The request's unit of work: committed before the response is sent, rolled back on error."""
    with platform.database.transaction() as session:
        yield session


# scope="function": the transaction ends before the response goes out, so a failed commit is a
# failed request, never a success the client was already told about.
DbSession = Annotated[Session, Depends(get_session, scope="function")]


def readable_by(request: Request, actor: Principal) -> Callable[[str], frozenset[str]]:
    """Resource code → the items ``actor``'s department may read now, from the decision point:
    for pages that show data values outside a data read (quality reports)."""
    platform: Platform = request.app.state.platform
    pdp = request.app.state.access_policy.pdp
    now = platform.clock.now()

    def readable(code: str) -> frozenset[str]:
        if actor.department_id is None:
            return frozenset()
        return frozenset(pdp.readable_items(department_id=actor.department_id, code=code, at=now))

    return readable


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


async def get_principal(
    request: Request,
    platform: AppPlatform,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from a token checked within the last minute or from the database (see
    exchange.identity.token_cache): no database round trip on most requests."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationFailed(
            "send an API token: Authorization: Bearer <token>", detail={"reason": "missing_token"}
        )
    tokens: TokenCache = request.app.state.tokens
    secret, now = credentials.credentials, platform.clock.now()
    known = tokens.remembered(secret, now)
    if known is None:
        known = await run_in_threadpool(tokens.authenticate, secret, now)
    principal = replace(known, client_address=client_address(request))
    request.state.principal = principal
    # The path routing matched on; request.url would build a whole URL for it on every request.
    confine(principal, request.scope["path"])
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def principal_of(request: Request) -> Principal:
    """:func:`get_principal` solved from the request alone (see exchange_api.lean_route)."""
    return await get_principal(request, request.app.state.platform, await _bearer(request))


def require_action(obj: str, action: str) -> Callable[[Principal], Principal]:
    """A dependency that lets through only callers the action table lets take ``action`` on
    ``obj`` for the whole city."""

    def check(actor: CurrentPrincipal) -> Principal:
        ACTIONS.require(actor, "other", obj, action)
        return actor

    return check


BureauAdmin = Annotated[Principal, Depends(require_action("platform", "administer"))]
# R21 (三员分立): accounts are the system administrator's, roles the security administrator's.
SystemAdmin = Annotated[Principal, Depends(require_action("identity", "manage"))]
SecurityAdmin = Annotated[Principal, Depends(require_action("identity", "assign_roles"))]
Auditor = Annotated[Principal, Depends(require_action("audit", "search"))]


def _readable_items(
    request: Request, actor: Annotated[Principal, Depends(get_principal)]
) -> Callable[[str], frozenset[str]]:
    return readable_by(request, actor)


ReadableItems = Annotated[Callable[[str], frozenset[str]], Depends(_readable_items)]
