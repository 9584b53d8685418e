"""The FastAPI application factory."""

import functools
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute

from exchange.identity.token_cache import TokenCache
from exchange.logs import configure_logging
from exchange.runtime import Platform
from exchange.snapshots import SnapshotCache
from exchange.store import UnifiedStore
from exchange_api.bounds import numbers_in_range
from exchange_api.errors import install_error_handlers
from exchange_api.middleware import (
    BodySizeLimit,
    HeaderSizeLimit,
    RequestLog,
    SecurityHeaders,
)
from exchange_api.portal import add_portal_routes, install_portal
from exchange_api.routers import (
    access,
    audit,
    calendar,
    catalog,
    cloud,
    collection,
    data,
    deadlines,
    health,
    identity,
    notifications,
    projects,
    quality,
    supervision,
    usage,
)
from policies.live import LiveAccessPolicy
from policies.read_records import ReadRecorder
from supervision.work_recovery import recover

DESCRIPTION = """
The city's government data-sharing exchange platform (政务大数据共享交换平台).

Authenticate with an API token: `Authorization: Bearer exg_…`. Get one with
`POST /api/v1/auth/token` (user name and password) or `exchange token create`.

Every error has the same body: `{"code": …, "message": …, "detail": …}`.
"""

TAGS = [
    {"name": "identity", "description": "Who is calling, tokens, departments and users."},
    {"name": "catalog", "description": "The catalog of data resources (R1-R8, R12)."},
    {
        "name": "collection",
        "description": "Sources, ingestion into the unified store, freshness (R9-R11).",
    },
    {"name": "access", "description": "Requests, review, disputes and grants (R13-R15)."},
    {"name": "calendar", "description": "Working days (R23) and deadline computation."},
    {"name": "deadlines", "description": "Working-day deadlines of workflows."},
    {"name": "notifications", "description": "Each user's inbox."},
    {"name": "data", "description": "Reading shared data as grants allow (R13-R16)."},
    {"name": "audit", "description": "The tamper-evident audit log (R16, R21)."},
    {
        "name": "projects",
        "description": "Information-system projects and the sharing veto (R24-R28).",
    },
    {"name": "cloud", "description": "The government cloud: applications to production (R29-R34)."},
    {"name": "health", "description": "Liveness."},
]


@functools.cache
def _route_table() -> tuple[BaseRoute, ...]:
    """Every API and portal route, analysed once per process. Including a router makes FastAPI
    read each endpoint's signature and build its models (about a second for this application);
    the routes keep no state of their own (each request finds its platform in ``app.state``), so
    every application of the process can share them."""
    template = FastAPI(dependencies=[Depends(numbers_in_range)])
    # Starlette tries the routes in order, each with its pattern: the data API, read far more
    # often than anything else, comes first (no other path overlaps its paths).
    for module in (
        data,
        health,
        identity,
        catalog,
        collection,
        access,
        usage,
        quality,
        supervision,
        projects,
        cloud,
        calendar,
        deadlines,
        notifications,
        audit,
    ):
        template.include_router(module.router)
    add_portal_routes(template)
    return tuple(template.router.routes)


def create_app(platform: Platform | None = None) -> FastAPI:
    platform = platform or Platform.create()
    configure_logging(platform.settings.log_level)
    access_policy = LiveAccessPolicy(platform.database)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Other processes' grants, revocations and sign-in changes reach this one's caches.
        platform.database.follow_other_processes()
        # Load the policy before the first request; it also starts on first use without this.
        access_policy.start()
        # Work left "running" by a process that died (this one's predecessor, say) is marked
        # abandoned now; the next sweep runs it again.
        await run_in_threadpool(functools.partial(recover, platform, retry=False))
        # What exists now (the app, its models and schemas) lives as long as the process: keep it
        # out of the collector's passes, whose full sweeps otherwise hold the GIL for 100 ms and
        # more while a worker thread allocates heavily (a large import), and stall every request.
        gc.collect()
        gc.freeze()
        yield
        gc.unfreeze()  # an app stopped in a process that goes on (tests) is collected again
        app.state.snapshots.close()
        app.state.read_recorder.stop()
        access_policy.stop()
        platform.database.change_bus.stop_following()

    app = FastAPI(
        title="Government Data-Sharing Exchange",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.platform = platform
    app.state.access_policy = access_policy
    app.state.tokens = TokenCache(platform.database)
    app.state.snapshots = SnapshotCache(
        UnifiedStore(platform.settings), platform.database, platform.settings.read_cache_bytes
    )
    app.state.read_recorder = ReadRecorder(platform.database)
    install_error_handlers(app)
    app.router.routes.extend(_route_table())
    install_portal(app)
    app.add_middleware(BodySizeLimit, limit=platform.settings.max_request_bytes)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(HeaderSizeLimit, limit=platform.settings.max_header_bytes)
    app.add_middleware(RequestLog)
    return app
