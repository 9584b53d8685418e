"""Registering sources for published resources; testing them against the catalog's data items."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.entries import get_resource, published_version
from catalog.models import DataItem, Resource
from catalog.vocab import ResourceStatus
from collection.confinement import Reach
from collection.conform import match_columns
from collection.extract import ExtractError, extract
from collection.models import Source
from exchange import audit
from exchange.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from exchange.identity.models import Department
from exchange.identity.roles import Role
from exchange.principal import Principal
from exchange.secrets_box import seal, unseal
from exchange.settings import Settings

KINDS = {"database": ("table", "query"), "http": ("url",), "file": ("folder",)}
SECRET_KEYS = {"database": ("url",), "http": ("header_value",), "file": ()}


@dataclass
class ConnectionReport:
    ok: bool
    columns: list[str] = field(default_factory=list)
    sample: list[dict[str, Any]] = field(default_factory=list)
    drift: dict[str, Any] | None = None
    error: str | None = None


def items_of(session: Session, resource: Resource) -> list[DataItem]:
    version = published_version(session, resource)
    if version is None:
        raise Conflict(
            f"entry {resource.code} is not published: only published resources are collected"
        )
    return list(version.items)


def reach_of(session: Session, settings: Settings, resource: Resource) -> Reach:
    """What the sources of ``resource`` may read: its provider's drop folder and allowed hosts."""
    provider = session.get_one(Department, resource.provider_department_id)
    return Reach.of(settings, provider.code)


def check_connection(
    kind: str,
    config: dict[str, Any],
    secret: dict[str, Any],
    items: list[DataItem],
    reach: Reach,
    ignore: frozenset[str] = frozenset(),
) -> ConnectionReport:
    """Read a few rows and compare their columns with the catalog's data items."""
    try:
        sample = extract(kind, config, secret, reach=reach, limit=5)
    except ExtractError as error:
        return ConnectionReport(False, error=str(error))
    _, drift = match_columns(sample, items, ignore)
    rows = [{k: str(v) for k, v in row.items()} for row in sample.slice(0, 3).to_pylist()]
    if drift:
        return ConnectionReport(False, sample.column_names, rows, drift.as_dict(), drift.describe())
    return ConnectionReport(True, sample.column_names, rows)


def _validate_config(kind: str, config: dict[str, Any], secret: dict[str, Any]) -> None:
    if kind not in KINDS:
        raise InvalidInput(f"a source is one of: {', '.join(KINDS)}", detail={"field": "kind"})
    if not any(config.get(key) for key in KINDS[kind]):
        raise InvalidInput(
            f"a {kind} source needs one of: {', '.join(KINDS[kind])}", detail={"field": "config"}
        )
    leaked = [
        key for key in ("url", "password", "header_value") if kind == "database" and key in config
    ]
    if leaked:
        raise InvalidInput("credentials go in secret, never in config", detail={"fields": leaked})
    missing = [key for key in SECRET_KEYS[kind] if kind == "database" and not secret.get(key)]
    if missing:
        raise InvalidInput(
            f"a {kind} source needs secret {', '.join(missing)}", detail={"field": "secret"}
        )


def register_source(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    settings: Settings,
    code: str,
    kind: str,
    config: dict[str, Any],
    secret: dict[str, Any],
    mode: str = "full",
    watermark_column: str | None = None,
    schedule: str | None = None,
    bad_row_threshold: float | None = None,
) -> Source:
    resource = get_resource(session, code)
    if not (
        actor.has_any(Role.BUREAU_ADMIN)
        or (
            actor.department_id == resource.provider_department_id
            and actor.has_any(Role.DATA_RESOURCE_ADMIN)
        )
    ):
        raise PermissionDenied(
            "sources are registered by the provider's data resource administrator or the bureau"
        )
    if resource.status != ResourceStatus.PUBLISHED:
        raise Conflict(f"entry {code} is {resource.status}: only published resources are collected")
    _validate_config(kind, config, secret)
    if mode not in ("full", "incremental") or (mode == "incremental") != bool(watermark_column):
        raise InvalidInput(
            "incremental sources name their watermark column; full sources do not",
            detail={"field": "watermark_column"},
        )
    ignore = frozenset({watermark_column}) if watermark_column else frozenset()
    report = check_connection(
        kind,
        config,
        secret,
        items_of(session, resource),
        reach_of(session, settings, resource),
        ignore,
    )
    if not report.ok:
        raise InvalidInput(
            f"the source was not registered: {report.error}",
            detail={"columns": report.columns, "drift": report.drift, "error": report.error},
            code="source_check_failed",
        )
    source = Source(
        resource_id=resource.id,
        kind=kind,
        config=config,
        secret=seal(settings, secret) if secret else None,
        mode=mode,
        watermark_column=watermark_column,
        schedule=schedule,
        bad_row_threshold=settings.bad_row_threshold
        if bad_row_threshold is None
        else bad_row_threshold,
        created_at=now,
        created_by=actor.username,
    )
    session.add(source)
    session.flush()
    audit.record(
        session,
        at=now,
        actor=actor,
        action="collection.source.register",
        object_type="source",
        object_id=source.id,
        detail={"resource": code, "kind": kind, "mode": mode},
    )
    return source


def get_source(session: Session, source_id: int) -> Source:
    source = session.get(Source, source_id)
    if source is None:
        raise NotFound(f"no source {source_id}")
    return source


def secret_of(settings: Settings, source: Source) -> dict[str, Any]:
    return unseal(settings, source.secret)


def sources_of(session: Session, viewer: Principal) -> list[tuple[Source, Resource]]:
    query = (
        select(Source, Resource)
        .join(Resource, Resource.id == Source.resource_id)
        .order_by(Source.id)
    )
    if not viewer.has_any(Role.BUREAU_ADMIN) and not viewer.is_system:
        query = query.where(Resource.provider_department_id == viewer.department_id)
    return [(source, resource) for source, resource in session.execute(query)]
