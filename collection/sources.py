"""Registering, editing and deactivating the sources of published resources; testing them against
the catalog's data items.

A resource normally has one source. A second one (two systems feeding one resource) is registered
only when the caller says so: otherwise a repeated registration would silently double the loads.
Every change re-reads the source first, and is audited (R16).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.entries import get_resource, published_version
from catalog.models import DataItem, Resource
from catalog.vocab import ResourceStatus
from collection.confinement import Reach
from collection.conform import LOCATION, match_columns
from collection.extract import ExtractError, extract
from collection.models import RejectedRow, Source
from collection.vocab import LoadMode
from exchange import audit
from exchange.actions import ACTIONS, relation_of
from exchange.errors import Conflict, Hidden, InvalidInput, NotFound
from exchange.i18n import Message
from exchange.identity.models import Department
from exchange.identity.visibility import Records, own_only, sees_all
from exchange.principal import Principal
from exchange.secrets_box import seal, unseal
from exchange.settings import Settings
from exchange.spreadsheets import csv_document

KINDS = {"database": ("table", "query"), "http": ("url",), "file": ("folder",)}
SECRET_KEYS = {"database": ("url",), "http": ("header_value",), "file": ()}


@dataclass
class ConnectionReport:
    ok: bool
    columns: list[str] = field(default_factory=list)
    sample: list[dict[str, Any]] = field(default_factory=list)
    drift: dict[str, Any] | None = None
    error: Message | None = None

    def public(self) -> dict[str, Any]:
        """For JSON: the error in English (readers in another language get ``in_language``)."""
        return {**self.__dict__, "error": None if self.error is None else self.error.english}

    # One row per catalog item and per extra source column: what was found against what the
    # catalog says, so that a person sees at a glance which column is missing or of another type.
    matches: list[dict[str, Any]] = field(default_factory=list)


def items_of(session: Session, resource: Resource) -> list[DataItem]:
    version = published_version(session, resource)
    if version is None:
        raise Conflict(
            "entry {code} is not published: only published resources are collected",
            code=resource.code,
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
        return ConnectionReport(False, error=error.text)
    sample = sample.drop_columns([c for c in sample.column_names if c in LOCATION])
    mapping, drift = match_columns(sample, items, ignore)
    rows = [{k: str(v) for k, v in row.items()} for row in sample.slice(0, 3).to_pylist()]
    matches = [
        {
            "item": item.name,
            "label": item.label,
            "catalog_type": item.data_type,
            "column": mapping.get(item.name),
            "source_type": str(sample.schema.field(mapping[item.name]).type)
            if item.name in mapping
            else None,
            "status": "missing"
            if item.name in drift.missing
            else ("mismatched" if item.name in drift.mismatched else "ok"),
        }
        for item in items
    ] + [
        {"item": None, "label": None, "catalog_type": None, "column": column,
         "source_type": str(sample.schema.field(column).type), "status": "not_in_catalog"}
        for column in drift.added
    ]  # fmt: skip
    if drift:
        return ConnectionReport(
            False, sample.column_names, rows, drift.as_dict(), drift.describe(), matches
        )
    return ConnectionReport(True, sample.column_names, rows, matches=matches)


def _validate_config(kind: str, config: dict[str, Any], secret: dict[str, Any]) -> None:
    if kind not in KINDS:
        raise InvalidInput(
            "a source is one of: {kinds}", detail={"field": "kind"}, kinds=", ".join(KINDS)
        )
    if not any(config.get(key) for key in KINDS[kind]):
        raise InvalidInput(
            "a {kind} source needs one of: {kinds}",
            detail={"field": "config"},
            kind=kind,
            kinds=", ".join(KINDS[kind]),
        )
    leaked = [
        key for key in ("url", "password", "header_value") if kind == "database" and key in config
    ]
    if leaked:
        raise InvalidInput("credentials go in secret, never in config", detail={"fields": leaked})
    missing = [key for key in SECRET_KEYS[kind] if kind == "database" and not secret.get(key)]
    if missing:
        raise InvalidInput(
            "a {kind} source needs secret {missing}",
            detail={"field": "secret"},
            kind=kind,
            missing=", ".join(missing),
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
    mode: str = LoadMode.FULL,
    watermark_column: str | None = None,
    schedule: str | None = None,
    bad_row_threshold: float | None = None,
    also: bool = False,
) -> Source:
    """Register a source after reading a few rows of it; ``also`` for a resource's second one."""
    resource = get_resource(session, code)
    require_may_manage(actor, resource)
    if resource.status != ResourceStatus.PUBLISHED:
        raise Conflict(
            "entry {code} is {status}: only published resources are collected",
            code=code,
            status=resource.status,
        )
    existing = session.scalars(
        select(Source.id).where(Source.resource_id == resource.id, Source.active.is_(True))
    ).all()
    if existing and not also:
        raise Conflict(
            "{code} already has source {existing}; edit it, or register this one as an additional source if two systems really feed this resource",
            detail={"existing": list(existing)},
            error_code="source_exists",
            code=code,
            existing=", ".join(map(str, existing)),
        )
    _validate_config(kind, config, secret)
    _validate_mode(mode, watermark_column)
    _require_reads(session, settings, resource, kind, config, secret, watermark_column)
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
        detail={"resource": code, "kind": kind, "mode": mode, "additional": bool(existing)},
    )
    return source


def require_may_manage(actor: Principal, resource: Resource) -> None:
    ACTIONS.require(
        actor, relation_of(actor, provider_id=resource.provider_department_id), "source", "manage",
        explain=Message(
            "sources are managed by the provider's data resource administrator or the bureau"
        ),
    )  # fmt: skip


def _validate_mode(mode: str, watermark_column: str | None) -> None:
    if mode not in set(LoadMode) or (mode == LoadMode.INCREMENTAL) != bool(watermark_column):
        raise InvalidInput(
            "incremental sources name their watermark column; full sources do not",
            detail={"field": "watermark_column"},
        )


def _require_reads(
    session: Session,
    settings: Settings,
    resource: Resource,
    kind: str,
    config: dict[str, Any],
    secret: dict[str, Any],
    watermark_column: str | None,
) -> None:
    ignore = frozenset({watermark_column}) if watermark_column else frozenset()
    report = check_connection(
        kind, config, secret, items_of(session, resource),
        reach_of(session, settings, resource), ignore,
    )  # fmt: skip
    if not report.ok:
        raise InvalidInput(
            "the source was not saved: {error}",
            detail={"columns": report.columns, "drift": report.drift,
                    "error": str(report.error), "matches": report.matches},
            error_code="source_check_failed", error=report.error,
        )  # fmt: skip


@dataclass(frozen=True)
class SourceChange:
    """What an edit changes; None leaves a setting as it is. A secret is replaced whole."""

    config: dict[str, Any] | None = None
    secret: dict[str, Any] | None = None
    mode: str | None = None
    watermark_column: str | None = None
    schedule: str | None = None
    bad_row_threshold: float | None = None


def update_source(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    settings: Settings,
    source_id: int,
    change: SourceChange,
) -> Source:
    """Change a source's settings after reading it with them."""
    source = get_source(session, source_id)
    resource = session.get_one(Resource, source.resource_id)
    require_may_manage(actor, resource)
    config = source.config if change.config is None else change.config
    secret = secret_of(settings, source) if change.secret is None else change.secret
    mode = change.mode or source.mode
    watermark = source.watermark_column if change.mode is None else change.watermark_column
    _validate_config(source.kind, config, secret)
    _validate_mode(mode, watermark)
    _require_reads(session, settings, resource, source.kind, config, secret, watermark)
    changed = sorted(k for k, v in vars(change).items() if v is not None)
    source.config, source.mode, source.watermark_column = config, mode, watermark
    if change.secret is not None:
        source.secret = seal(settings, change.secret) if change.secret else None
    if change.schedule is not None:
        source.schedule = change.schedule or None
    if change.bad_row_threshold is not None:
        source.bad_row_threshold = change.bad_row_threshold
    audit.record(
        session, at=now, actor=actor, action="collection.source.update", object_type="source",
        object_id=source.id, detail={"resource": resource.code, "changed": changed},
    )  # fmt: skip
    return source


def set_active(
    session: Session, *, actor: Principal, now: datetime, source_id: int, active: bool
) -> Source:
    """Deactivate a source (no more scheduled or manual runs; its runs stay) or activate it."""
    source = get_source(session, source_id)
    resource = session.get_one(Resource, source.resource_id)
    require_may_manage(actor, resource)
    source.active = active
    audit.record(
        session, at=now, actor=actor,
        action="collection.source.activate" if active else "collection.source.deactivate",
        object_type="source", object_id=source.id, detail={"resource": resource.code},
    )  # fmt: skip
    return source


def get_source(session: Session, source_id: int) -> Source:
    source = session.get(Source, source_id)
    if source is None:
        raise NotFound("no source {source_id}", source_id=source_id)
    return source


def visible_source(session: Session, source_id: int, actor: Principal) -> tuple[Source, Resource]:
    """A source and its resource, for its department and the bureau; to anyone else it does
    not exist (R22)."""
    source = get_source(session, source_id)
    resource = session.get_one(Resource, source.resource_id)
    if not (
        actor.department_id == resource.provider_department_id or sees_all(actor, Records.SOURCE)
    ):
        raise Hidden("no source {source_id} of your department", source_id=source_id)
    return source, resource


def secret_of(settings: Settings, source: Source) -> dict[str, Any]:
    return unseal(settings, source.secret)


def sources_of(session: Session, actor: Principal) -> list[tuple[Source, Resource]]:
    query = (
        select(Source, Resource)
        .join(Resource, Resource.id == Source.resource_id)
        .order_by(Source.id)
    )
    mine = own_only(actor, Records.SOURCE, Resource.provider_department_id)
    if mine is not None:
        query = query.where(mine)
    return [(source, resource) for source, resource in session.execute(query)]


def require_active(source: Source) -> None:
    if not source.active:
        raise Conflict(
            "source {id} is deactivated: activate it before running it",
            error_code="source_inactive",
            id=source.id,
        )


def set_aside_rows(session: Session, run_id: int) -> list[dict[str, Any]]:
    """The rows a run set aside, by source file and line."""
    rows = session.scalars(
        select(RejectedRow)
        .where(RejectedRow.run_id == run_id)
        .order_by(RejectedRow.source_file, RejectedRow.row_number)
    )
    return [
        {"file": r.source_file, "line": r.row_number, "problems": r.problems, "data": r.data}
        for r in rows
    ]


def set_aside_csv(rows: list[dict[str, Any]]) -> bytes:
    """The set-aside rows as a spreadsheet: file, line, reasons, then the row's own columns."""
    columns = list(dict.fromkeys(name for row in rows for name in row["data"]))
    return csv_document(
        ["file", "line", "problems", *columns],
        (
            [row["file"] or "", row["line"], "; ".join(row["problems"]),
             *(row["data"].get(c, "") for c in columns)]
            for row in rows
        ),
    )  # fmt: skip
