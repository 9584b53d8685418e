"""Moving the catalog in and out: spreadsheet import (all or nothing) and exports."""

from dataclasses import dataclass, field
from datetime import datetime

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.access import may_register
from catalog.dcat import dcat_catalog
from catalog.entries import (
    WORKING_STATES,
    create_entry,
    get_resource,
    published_version,
    start_new_version,
    update_draft,
    validation_context,
    working_version,
)
from catalog.models import Classification, Resource, ResourceVersion
from catalog.schemas import EntryDraft
from catalog.spreadsheet import (
    CellProblem,
    ParsedEntry,
    cell_problem,
    entry_rows,
    parse_entries,
    read_rows,
    refuse_file,
    write_csv,
)
from catalog.spreadsheet_template import write_xlsx
from catalog.vocab import ResourceStatus, VersionState
from exchange import audit
from exchange.errors import InvalidInput, PermissionDenied
from exchange.principal import Principal
from exchange.spreadsheets import CSV_TYPE, XLSX_TYPE


@dataclass(frozen=True)
class ImportResult:
    created: list[str]
    changed: list[str]
    unchanged: list[str] = field(default_factory=list)
    # What the importer should know though nothing was refused: rows matched to an entry by
    # name, columns the template does not have.
    warnings: list[dict[str, object]] = field(default_factory=list)


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

    Importing is idempotent: a row with a code is that entry, a new row is matched to the
    department's entry of the same name (with a warning), an entry the file does not change is
    left alone, so importing a file again, or an export, changes nothing. Whatever refuses a row
    (another department's code, an entry under review) is a problem of the report at that row.
    Parsing a large file takes seconds: entry points call this off their event loop."""
    department_id = check_may_import(actor)
    sheet, rows, unknown = read_rows(content, filename, max_rows=max_rows)
    parsed, problems = parse_entries(
        sheet, rows, lambda code: validation_context(session, department_id, code)
    )
    warnings: list[dict[str, object]] = [
        {"column": header, "warning": "the template has no such column: its cells were not read",
         "warning_zh": f"模板中没有“{header}”列，该列内容未导入"}
        for header in unknown
    ]  # fmt: skip
    plans = [_plan(session, department_id, sheet, entry, problems, warnings) for entry in parsed]
    _refuse_names_twice(sheet, parsed, problems)
    refuse_file(problems)
    result = ImportResult([], [], [], warnings)
    for entry, (plan, code) in zip(parsed, plans, strict=True):
        if plan == "create":
            made = create_entry(session, actor=actor, now=now, draft=entry.draft)
            result.created.append(made.resource.code)
        elif plan == "change":
            resource = get_resource(session, code)
            if working_version(session, resource) is None:
                start_new_version(session, actor=actor, now=now, code=code)
            update_draft(session, actor=actor, now=now, code=code, draft=entry.draft)
            result.changed.append(code)
        else:
            result.unchanged.append(code)
    audit.record(
        session, at=now, actor=actor, action="catalog.import", object_type="catalog_file",
        object_id=filename,
        detail={"created": result.created, "changed": result.changed,
                "unchanged": len(result.unchanged), "rows": len(rows)},
    )  # fmt: skip
    return result


def _plan(
    session: Session,
    department_id: int,
    sheet: str,
    entry: ParsedEntry,
    problems: list[CellProblem],
    warnings: list[dict[str, object]],
) -> tuple[str, str]:
    """What importing ``entry`` does: ("create", ""), ("change", code) or ("unchanged", code);
    a row that cannot be imported adds its problem."""

    def refuse(header: str, problem: str, problem_zh: str) -> tuple[str, str]:
        problems.append(cell_problem(sheet, entry.first_row, header, problem, problem_zh))
        return "refused", entry.code or ""

    if entry.code is None:
        named = _entries_named(session, department_id, entry.draft.name)
        if not named:
            return "create", ""
        if len(named) > 1:
            return refuse(
                "资源名称",
                "several entries of your department have this name: give the code",
                f"本部门有多个名为“{entry.draft.name}”的资源，请填写资源代码",
            )
        resource = named[0]
        warnings.append({
            "row": entry.first_row, "code": resource.code,
            "warning": f"no code given: matched to the entry {resource.code} of the same name",
            "warning_zh": f"未填写资源代码，已按名称匹配到资源{resource.code}",
        })  # fmt: skip
    else:
        coded = session.scalar(select(Resource).where(Resource.code == entry.code))
        if coded is None:
            return refuse(
                "资源代码",
                f"there is no entry {entry.code}; leave the code blank for a new entry",
                f"目录中没有资源代码{entry.code}；新增资源请留空资源代码",
            )
        resource = coded
        if resource.provider_department_id != department_id:
            return refuse(
                "资源代码",
                f"{entry.code} is another department's entry: it cannot be imported here",
                f"资源{entry.code}属于其他部门，不能在本部门导入修改",
            )
    if resource.status == ResourceStatus.RETIRED:
        return refuse("资源代码", f"{resource.code} is retired and cannot change",
                      f"资源{resource.code}已停用，不能修改")  # fmt: skip
    current = working_version(session, resource) or published_version(session, resource)
    unchanged = current is not None and _same(EntryDraft.model_validate(current), entry.draft)
    if unchanged:
        return "unchanged", resource.code
    if current is not None and current.state == VersionState.SUBMITTED:
        return refuse(
            "资源代码",
            f"{resource.code} is under review: it can change once the review ends",
            f"资源{resource.code}正在审核中，审核结束后才能修改",
        )
    return "change", resource.code


def _same(stored: EntryDraft, imported: EntryDraft) -> bool:
    return stored.model_dump(mode="json") == imported.model_dump(mode="json")


def _entries_named(session: Session, department_id: int, name: str) -> list[Resource]:
    found = session.scalars(
        select(Resource)
        .join(ResourceVersion, ResourceVersion.resource_id == Resource.id)
        .where(
            Resource.provider_department_id == department_id,
            ResourceVersion.name == name,
            ResourceVersion.state.in_([*WORKING_STATES, VersionState.PUBLISHED]),
        )
        .distinct()
    )
    return list(found)


def _refuse_names_twice(sheet: str, parsed: list[ParsedEntry], problems: list[CellProblem]) -> None:
    """Two new entries of one name in one file are one entry written twice, or a mistake."""
    seen: dict[str, int] = {}
    for entry in parsed:
        if entry.code is not None:
            continue
        if entry.draft.name in seen:
            problems.append(cell_problem(
                sheet, entry.first_row, "资源名称",
                f"the entry {entry.draft.name} is already on row {seen[entry.draft.name]}",
                f"资源“{entry.draft.name}”已在第{seen[entry.draft.name]}行出现",
            ))  # fmt: skip
        seen.setdefault(entry.draft.name, entry.first_row)


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


def blank_template(session: Session, language: str = "zh") -> bytes:
    """The template to fill in, empty, with the classification codes listed."""
    return write_xlsx([], language, _classifications(session))


def department_workbook(session: Session, *, actor: Principal, language: str = "zh") -> bytes:
    """The actor's department's own entries in the template, to edit and import again."""
    if actor.department_id is None:
        raise PermissionDenied("only a department's staff take its entries")
    chosen = entries_for_export(session, actor=actor, provider_department_id=actor.department_id)
    rows = (row for resource, draft in chosen for row in entry_rows(resource.code, draft, language))
    return write_xlsx(rows, language, _classifications(session))


def _classifications(session: Session) -> list[tuple[str, str]]:
    return [
        (c.code, c.name)
        for c in session.scalars(select(Classification).order_by(Classification.code))
    ]
