"""Collection over HTTP: register and test sources, run ingestion, see runs, rejected rows and freshness."""

import uuid
from contextlib import suppress
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Resource
from collection import sources as source_service
from collection.dagspecs import write_dag_specs
from collection.freshness import freshness
from collection.ingest import IngestFailed, ingest
from collection.models import IngestRun, Source
from exchange.errors import NotFound
from exchange.identity.service import get_department
from exchange.principal import Principal
from exchange.runtime import Platform
from exchange.spreadsheets import CSV_TYPE
from exchange_api.deps import AppPlatform, CurrentPrincipal, DbSession
from exchange_api.errors import ERROR_RESPONSES, documented_as
from exchange_api.schemas.collection import (
    ConnectionReport,
    FreshnessPublic,
    RunPublic,
    SourceCreate,
    SourcePublic,
    SourceUpdate,
)

router = APIRouter(prefix="/api/v1/collection", tags=["collection"], responses=ERROR_RESPONSES)


def _source_public(source: Source, resource: Resource) -> SourcePublic:
    return SourcePublic(
        id=source.id,
        resource_code=resource.code,
        kind=source.kind,
        config=source.config,
        has_secret=source.secret is not None,
        mode=source.mode,
        watermark_column=source.watermark_column,
        last_watermark=source.last_watermark,
        schedule=source.schedule,
        bad_row_threshold=source.bad_row_threshold,
        active=source.active,
        created_at=source.created_at,
    )


def _run_public(run: IngestRun) -> RunPublic:
    return RunPublic.model_validate(run, from_attributes=True)


def _refresh_dag_specs(platform: Platform) -> None:
    with platform.database.transaction() as session:
        write_dag_specs(session, platform.settings.dag_specs_path)


@router.post(
    "/sources", status_code=status.HTTP_201_CREATED, summary="Register a source after a test read"
)
def register(
    body: SourceCreate,
    actor: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
    later: BackgroundTasks,
) -> SourcePublic:
    source = source_service.register_source(
        session,
        actor=actor,
        now=platform.clock.now(),
        settings=platform.settings,
        code=body.resource_code,
        kind=body.kind,
        config=body.config,
        secret=body.secret,
        mode=body.mode,
        watermark_column=body.watermark_column,
        schedule=body.schedule,
        bad_row_threshold=body.bad_row_threshold,
        also=body.additional,
    )
    later.add_task(
        _refresh_dag_specs, platform
    )  # after the commit: the DAG file sees only saved sources
    return _source_public(source, session.get_one(Resource, source.resource_id))


@router.patch("/sources/{source_id}", summary="Change a source's settings after a test read")
def update(
    source_id: int,
    body: SourceUpdate,
    actor: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
    later: BackgroundTasks,
) -> SourcePublic:
    source_service.visible_source(session, source_id, actor)
    source = source_service.update_source(
        session, actor=actor, now=platform.clock.now(), settings=platform.settings,
        source_id=source_id, change=source_service.SourceChange(**body.model_dump()),
    )  # fmt: skip
    later.add_task(_refresh_dag_specs, platform)
    return _source_public(source, session.get_one(Resource, source.resource_id))


def _activation(
    source_id: int, active: bool, actor: Principal, session: Session, platform: Platform,
    later: BackgroundTasks,
) -> SourcePublic:  # fmt: skip
    source_service.visible_source(session, source_id, actor)
    source = source_service.set_active(
        session, actor=actor, now=platform.clock.now(), source_id=source_id, active=active
    )
    later.add_task(_refresh_dag_specs, platform)
    return _source_public(source, session.get_one(Resource, source.resource_id))


@router.post(
    "/sources/{source_id}/deactivate",
    summary="Deactivate a source: no more runs; its history stays",
)
def deactivate(
    source_id: int, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform,
    later: BackgroundTasks,
) -> SourcePublic:  # fmt: skip
    return _activation(source_id, False, actor, session, platform, later)


@router.post("/sources/{source_id}/activate", summary="Activate a deactivated source again")
def activate(
    source_id: int, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform,
    later: BackgroundTasks,
) -> SourcePublic:  # fmt: skip
    return _activation(source_id, True, actor, session, platform, later)


@router.get("/sources", summary="Sources of my department (all, for the bureau)")
def list_sources(actor: CurrentPrincipal, session: DbSession) -> list[SourcePublic]:
    return [_source_public(s, r) for s, r in source_service.sources_of(session, actor)]


@router.post(
    "/sources/{source_id}/test", summary="Read a few rows and compare them with the catalog"
)
def test_source(
    source_id: int, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> ConnectionReport:
    source, resource = source_service.visible_source(session, source_id, actor)
    report = source_service.check_connection(
        source.kind,
        source.config,
        source_service.secret_of(platform.settings, source),
        source_service.items_of(session, resource),
        source_service.reach_of(session, platform.settings, resource),
        frozenset({source.watermark_column}) if source.watermark_column else frozenset(),
    )
    return ConnectionReport.model_validate(report.public())


def _ingest_quietly(platform: Platform, source_id: int, run_key: str) -> None:
    # A failure is recorded on the run, with its reason, and audited: nothing more to do here.
    with suppress(IngestFailed):
        ingest(platform, source_id=source_id, run_key=run_key)


@router.post(
    "/sources/{source_id}/runs",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Ingest now: the run starts once this request is done; follow it under /runs",
)
def run_now(
    source_id: int,
    actor: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
    later: BackgroundTasks,
) -> dict[str, str]:
    source, _ = source_service.visible_source(session, source_id, actor)
    source_service.require_active(source)
    run_key = f"api-{uuid.uuid4().hex}"
    # Ingestion commits in several short transactions of its own, never inside a request's.
    later.add_task(_ingest_quietly, platform, source_id, run_key)
    return {"run_key": run_key}


@router.get("/sources/{source_id}/runs", summary="Runs of a source, newest first")
def runs(source_id: int, actor: CurrentPrincipal, session: DbSession) -> list[RunPublic]:
    source_service.visible_source(session, source_id, actor)
    found = session.scalars(
        select(IngestRun)
        .where(IngestRun.source_id == source_id)
        .order_by(IngestRun.id.desc())
        .limit(200)
    )
    return [_run_public(r) for r in found]


@router.get(
    "/runs/{run_id}/rejected",
    summary="Rows set aside by a run, with their source line and reasons (JSON or CSV)",
    responses=documented_as("application/json", CSV_TYPE),
)
def rejected(
    run_id: int,
    actor: CurrentPrincipal,
    session: DbSession,
    rows_format: Annotated[str, Query(alias="format", pattern="^(json|csv)$")] = "json",
) -> Any:
    run = session.get(IngestRun, run_id)
    if run is None:
        raise NotFound("no run {run_id}", run_id=run_id)
    source_service.visible_source(session, run.source_id, actor)
    rows = source_service.set_aside_rows(session, run_id)
    if rows_format == "csv":
        return Response(
            source_service.set_aside_csv(rows),
            media_type=CSV_TYPE,
            headers={"Content-Disposition": f'attachment; filename="run-{run_id}-set-aside.csv"'},
        )
    return rows


@router.get("/freshness", summary="Each published resource's last update against its cycle (R11)")
def resource_freshness(
    _: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
    provider: Annotated[str | None, Query(description="A provider department code")] = None,
) -> list[FreshnessPublic]:
    provider_id = get_department(session, provider).id if provider else None
    return [
        FreshnessPublic.model_validate(state, from_attributes=True)
        for state in freshness(
            session, now=platform.clock.now(), provider_department_id=provider_id
        )
    ]
