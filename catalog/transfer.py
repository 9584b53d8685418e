"""Moving the catalog in and out: spreadsheet import (all or nothing) and exports."""

from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.access import may_register
from catalog.dcat import dcat_catalog
from catalog.entries import (
    create_entry,
    get_resource,
    published_version,
    start_new_version,
    update_draft,
    validation_context,
    working_version,
)
from catalog.models import Resource
from catalog.schemas import EntryDraft
from catalog.spreadsheet import entry_rows, parse_entries, read_rows, write_csv, write_xlsx
from catalog.vocab import ResourceStatus
from exchange import audit
from exchange.errors import InvalidInput, PermissionDenied
from exchange.principal import Principal
from exchange.spreadsheets import CSV_TYPE, XLSX_TYPE


@dataclass(frozen=True)
class ImportResult:
    created: list[str]
    changed: list[str]


def check_may_import(actor: Principal) -> int:
    """The importing department, if ``actor`` may import its catalog; checked before any reading."""
    if actor.department_id is None or not may_register(actor):
        raise PermissionDenied("a catalog is imported by a registrar of the providing department")
    return actor.department_id


def import_catalog(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    content: bytes,
    filename: str,
    max_rows: int,
) -> ImportResult:
    """Create or change every entry in the file, or nothing: the caller's transaction holds it all.
    Parsing a large file takes seconds: entry points call this off their event loop."""
    department_id = check_may_import(actor)
    sheet, rows = read_rows(content, filename, max_rows=max_rows)
    parsed = parse_entries(
        sheet, rows, lambda code: validation_context(session, department_id, code)
    )
    created: list[str] = []
    changed: list[str] = []
    for entry in parsed:
        if entry.code is None:
            created.append(
                create_entry(session, actor=actor, now=now, draft=entry.draft).resource.code
            )
            continue
        resource = get_resource(session, entry.code)
        if working_version(session, resource) is None:
            start_new_version(session, actor=actor, now=now, code=entry.code)
        update_draft(session, actor=actor, now=now, code=entry.code, draft=entry.draft)
        changed.append(entry.code)
    audit.record(
        session,
        at=now,
        actor=actor,
        action="catalog.import",
        object_type="catalog_file",
        object_id=filename,
        detail={"created": created, "changed": changed, "rows": len(rows)},
    )
    return ImportResult(created, changed)


def entries_for_export(
    session: Session, *, actor: Principal, provider_department_id: int | None = None
) -> list[tuple[Resource, EntryDraft]]:
    """Published entries, and for the actor's own department the versions in progress."""
    query = select(Resource).order_by(Resource.code)
    if provider_department_id is not None:
        query = query.where(Resource.provider_department_id == provider_department_id)
    result = []
    for resource in session.scalars(query):
        version = None
        if resource.provider_department_id == actor.department_id:
            version = working_version(session, resource)
        if version is None and resource.status == ResourceStatus.PUBLISHED:
            version = published_version(session, resource)
        if version is not None:
            result.append((resource, EntryDraft.model_validate(version)))
    return result


EXPORT_FORMATS = ("xlsx", "csv", "json", "dcat")


@dataclass(frozen=True)
class Export:
    content: bytes
    media_type: str
    extension: str


def export_catalog(
    session: Session,
    *,
    actor: Principal,
    export_format: str,
    base_url: str,
    provider_department_id: int | None = None,
    language: str = "zh",
) -> Export:
    """The catalog as ``actor`` may take it: the spreadsheet template (xlsx or csv, in
    ``language``), JSON, or DCAT-AP JSON-LD; the one export the API and the command line share."""
    if export_format == "dcat":
        document = dcat_catalog(session, base_url=base_url)
        return Export(orjson.dumps(document), "application/ld+json", "jsonld")
    chosen = entries_for_export(session, actor=actor, provider_department_id=provider_department_id)
    if export_format == "json":
        body = [
            {"code": r.code, "status": r.status, **d.model_dump(mode="json")} for r, d in chosen
        ]
        return Export(orjson.dumps(body), "application/json", "json")
    if export_format not in ("xlsx", "csv"):
        raise InvalidInput(
            "export as one of: {formats}", formats=", ".join(EXPORT_FORMATS),
            detail={"field": "format"},
        )  # fmt: skip
    rows = (row for resource, draft in chosen for row in entry_rows(resource.code, draft, language))
    if export_format == "xlsx":
        return Export(write_xlsx(rows, language), XLSX_TYPE, "xlsx")
    return Export(write_csv(rows, language), CSV_TYPE, "csv")
