"""Sources in the portal (R9): a department's data resource administrator registers where each
published resource is pulled from, tests the connection against the catalog's items, edits or
deactivates it, runs it now, and follows its runs with their set-aside rows and drift."""

import uuid
from contextlib import suppress
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from starlette.background import BackgroundTask

from catalog.entries import get_resource
from catalog.models import Resource, ResourceVersion
from catalog.vocab import ResourceStatus
from collection import sources as source_service
from collection.ingest import IngestFailed, ingest
from collection.models import IngestRun
from exchange.actions import ACTIONS
from exchange.errors import DomainError, InvalidInput, not_found
from exchange.identity.visibility import Records, own_only
from exchange.principal import Principal
from exchange.runtime import Platform
from exchange.spreadsheets import CSV_TYPE
from exchange_api.deps import AppPlatform, DbSession
from exchange_api.portal.web import (
    FormLists,
    PortalUser,
    attempt,
    field,
    redirect,
    render,
    say,
    shown,
)

router = APIRouter(include_in_schema=False)
# The form's fields of each kind of source: settings, and credentials kept encrypted.
CONFIG_FIELDS = {
    "database": ("table", "query"),
    "http": ("url", "items_path", "page_size", "header_name"),
    "file": ("folder", "pattern"),
}
SECRET_FIELDS = {"database": ("url",), "http": ("header_value",), "file": ()}


def _settings(form: dict[str, list[str]]) -> dict[str, Any]:
    """A source's settings from the form: only the fields of its kind, none left empty."""
    kind = field(form, "kind")
    if kind not in CONFIG_FIELDS:
        raise InvalidInput("unknown source kind {kind!r}: database, http or file", kind=kind)
    config: dict[str, Any] = {
        name: field(form, f"config_{name}")
        for name in CONFIG_FIELDS[kind]
        if field(form, f"config_{name}")
    }
    if "page_size" in config:
        if not config["page_size"].isdigit():
            raise InvalidInput("the page size is a whole number", detail={"field": "page_size"})
        config["page_size"] = int(config["page_size"])
    secret = {
        name: field(form, f"secret_{name}")
        for name in SECRET_FIELDS[kind]
        if field(form, f"secret_{name}")
    }
    threshold = field(form, "bad_row_threshold")
    try:
        share = float(threshold) / 100 if threshold else None
    except ValueError as error:
        raise InvalidInput(
            "the share of rows set aside is a percentage, e.g. 1",
            detail={"field": "bad_row_threshold"},
        ) from error
    return {
        "kind": kind,
        "config": config,
        "secret": secret,
        "mode": field(form, "mode") or "full",
        "watermark_column": field(form, "watermark_column") or None,
        "schedule": field(form, "schedule") or None,
        "bad_row_threshold": share,
    }


def _resources(session: Any, actor: Principal) -> list[tuple[str, str]]:
    """(code, name) of the published resources whose sources ``actor`` may manage."""
    query = (
        select(Resource.code, ResourceVersion.name)
        .join(ResourceVersion, ResourceVersion.id == Resource.published_version_id)
        .where(Resource.status == ResourceStatus.PUBLISHED)
    )
    mine = own_only(actor, Records.SOURCE, Resource.provider_department_id)
    if mine is not None:
        query = query.where(mine)
    return [(code, name) for code, name in session.execute(query.order_by(Resource.code))]


def _last_runs(session: Any, source_ids: list[int]) -> dict[int, IngestRun]:
    """Each source's newest run, read alone (not the whole history)."""
    newest = (
        select(func.max(IngestRun.id))
        .where(IngestRun.source_id.in_(source_ids))
        .group_by(IngestRun.source_id)
    )
    return {
        run.source_id: run
        for run in session.scalars(select(IngestRun).where(IngestRun.id.in_(newest)))
    }


def _list_page(
    request: Request,
    session: Any,
    actor: Principal,
    *,
    resource: str = "",
    form: dict[str, list[str]] | None = None,
    report: source_service.ConnectionReport | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    pairs = source_service.sources_of(session, actor)
    if resource:
        pairs = [(s, r) for s, r in pairs if r.code == resource]
    return render(
        request, "sources.html", status_code=status_code, pairs=pairs, resource=resource,
        resources=_resources(session, actor), last_runs=_last_runs(session, [s.id for s, _ in pairs]),
        form={k: v[0] for k, v in (form or {}).items() if v}, report=report, error=error,
        may_manage=ACTIONS.allows(actor, "provider", "source", "manage"),
    )  # fmt: skip


@router.get("/sources")
def sources_page(
    request: Request, actor: PortalUser, session: DbSession, resource: str = ""
) -> Response:
    return _list_page(request, session, actor, resource=resource)


@router.post("/sources")
def register_source(
    request: Request, actor: PortalUser, form: FormLists, platform: AppPlatform
) -> Response:
    """Test the connection (the "test" button) or register the source after testing it."""
    code = field(form, "resource_code")
    try:
        settings = _settings(form)
        with platform.database.transaction() as session:
            if field(form, "action") == "test":
                resource = get_resource(session, code)
                source_service.require_may_manage(actor, resource)
                report = source_service.check_connection(
                    settings["kind"], settings["config"], settings["secret"],
                    source_service.items_of(session, resource),
                    source_service.reach_of(session, platform.settings, resource),
                    frozenset(filter(None, [settings["watermark_column"]])),
                )  # fmt: skip
                return _list_page(request, session, actor, resource=code, form=form, report=report)
            source = source_service.register_source(
                session, actor=actor, now=platform.clock.now(), settings=platform.settings,
                code=code, also=field(form, "additional") == "on", **settings,
            )  # fmt: skip
            source_id = source.id
    except DomainError as error:  # shown on the page; a refusal is recorded first
        with platform.database.transaction() as session:
            return _list_page(
                request, session, actor, resource=code, form=form,
                error=shown(request, error), status_code=400,
            )  # fmt: skip
    return redirect(f"/sources/{source_id}", notice=say(request, "Saved"))


@router.get("/sources/{source_id}")
def source_page(
    request: Request,
    source_id: int,
    actor: PortalUser,
    session: DbSession,
    error: str | None = None,
    report: source_service.ConnectionReport | None = None,
) -> Response:
    source, resource = source_service.visible_source(session, source_id, actor)
    runs = session.scalars(
        select(IngestRun)
        .where(IngestRun.source_id == source_id)
        .order_by(IngestRun.id.desc())
        .limit(100)
    ).all()
    return render(
        request, "source.html", source=source, resource=resource, runs=runs, error=error,
        report=report, config_fields=CONFIG_FIELDS[source.kind],
        secret_fields=SECRET_FIELDS[source.kind],
        may_manage=ACTIONS.allows(actor, "provider", "source", "manage"),
    )  # fmt: skip


@router.post("/sources/{source_id}/edit")
def edit_source(
    request: Request, source_id: int, actor: PortalUser, form: FormLists, platform: AppPlatform
) -> Response:
    def change(session: Any, env: Any) -> None:
        source, _ = source_service.visible_source(session, source_id, actor)
        settings = _settings({**form, "kind": [source.kind]})
        source_service.update_source(
            session, actor=actor, now=env.now, settings=platform.settings, source_id=source_id,
            change=source_service.SourceChange(
                config=settings["config"], secret=settings["secret"] or None,
                mode=settings["mode"], watermark_column=settings["watermark_column"],
                schedule=settings["schedule"] or "", bad_row_threshold=settings["bad_row_threshold"],
            ),
        )  # fmt: skip

    refused = attempt(request, platform, change)
    if refused:
        with platform.database.transaction() as session:
            return source_page(request, source_id, actor, session, error=refused)
    return redirect(f"/sources/{source_id}", notice=say(request, "Saved"))


@router.post("/sources/{source_id}/{change}")
def switch_or_run(
    request: Request, source_id: int, change: str, actor: PortalUser, form: FormLists,
    platform: AppPlatform,
) -> Response:  # fmt: skip
    """Deactivate, activate, or run now (in the background, once this answer is sent)."""
    run_key = f"portal-{uuid.uuid4().hex}"

    def act(session: Any, env: Any) -> None:
        source, _ = source_service.visible_source(session, source_id, actor)
        if change in ("activate", "deactivate"):
            source_service.set_active(
                session, actor=actor, now=env.now, source_id=source_id, active=change == "activate"
            )
        elif change == "run":
            source_service.require_may_manage(actor, session.get_one(Resource, source.resource_id))
            source_service.require_active(source)
        else:
            raise InvalidInput("no action {change!r} on a source", change=change)

    refused = attempt(request, platform, act)
    if refused:
        with platform.database.transaction() as session:
            return source_page(request, source_id, actor, session, error=refused)
    answer = redirect(f"/sources/{source_id}", notice=say(request, "Saved"))
    if change == "run":
        answer = redirect(f"/sources/{source_id}", notice=say(request, "The run has started"))
        answer.background = BackgroundTask(_run, platform, source_id, run_key)
    return answer


def _run(platform: Platform, source_id: int, run_key: str) -> None:
    # A failure is recorded on the run, with its reason, and audited.
    with suppress(IngestFailed):
        ingest(platform, source_id=source_id, run_key=run_key)


@router.get("/sources/runs/{run_id}/set-aside.csv")
def set_aside_rows(
    request: Request, run_id: int, actor: PortalUser, session: DbSession
) -> Response:
    run = session.get(IngestRun, run_id)
    if run is None:
        raise not_found(run, "no run {run_id}", run_id=run_id)
    source_service.visible_source(session, run.source_id, actor)
    rows = source_service.set_aside_rows(session, run_id)
    return Response(
        source_service.set_aside_csv(rows),
        media_type=CSV_TYPE,
        headers={"Content-Disposition": f'attachment; filename="run-{run_id}-set-aside.csv"'},
    )
