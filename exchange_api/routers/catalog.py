"""The catalog over HTTP: find, register, review, publish, change, retire, import and export.

An entry's code has the form ``<classification>/<sequence>`` (e.g. ``202/000001``), so its URL
is ``/api/v1/catalog/entries/202/000001``.
"""

from datetime import date, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Response, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import entries, governance, lifecycle, tasks
from catalog.classification import add_classification as add_classification_node
from catalog.dcat import dcat_catalog
from catalog.diff import diff_versions
from catalog.models import Classification, Resource, ResourceVersion
from catalog.schemas import EntryDraft
from catalog.search import SearchQuery, search
from catalog.spreadsheet import entry_rows, write_csv, write_xlsx
from catalog.transfer import check_may_import, entries_for_export, import_catalog
from catalog.validation import completeness, completeness_gaps, validate_entry
from catalog.vocab import LABELS_ZH, ResourceStatus, ShareType, UpdateCycle
from exchange import audit
from exchange.data_status import DataStatus
from exchange.errors import InvalidInput, NotFound
from exchange.identity.models import Department
from exchange.identity.service import get_department
from exchange.principal import Principal
from exchange.spreadsheets import CSV_TYPE, XLSX_TYPE
from exchange.workflow.engine import history
from exchange_api.deps import AppPlatform, BureauAdmin, CurrentPrincipal, DbSession, require_action
from exchange_api.errors import ERROR_RESPONSES, documented_as

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"], responses=ERROR_RESPONSES)
ENTRY = "/entries/{classification}/{sequence}"


class ItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    label: str
    data_type: str
    length: int | None
    precision: int | None
    required: bool
    is_key: bool
    description: str | None
    sensitivity: str
    share_type: str
    share_condition: str | None
    legal_basis: str | None
    element: str | None
    duplicate_justification: str | None
    value_format: str | None
    allowed_values: list[str] | None


class VersionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    state: str
    name: str
    classification_code: str
    abstract: str
    format: str
    share_type: str = Field(description="Derived from the items (R3).")
    share_condition: str | None
    share_mode: str
    open_to_public: bool
    open_condition: str | None
    update_cycle: str
    share_scope: str
    timeliness: str | None
    provision_method: str
    related_codes: list[str]
    sensitive: bool
    publication_date: date | None
    change_note: str | None
    review_comment: str | None
    submitted_at: datetime | None
    reviewed_at: datetime | None
    items: list[ItemPublic]


class DepartmentRef(BaseModel):
    code: str
    name: str


class QualityBadge(BaseModel):
    """What consumers should know of the data's quality now (R19)."""

    under_verification: bool = Field(description="Quality issues are open for this resource.")
    open_issues: int
    quarantined: bool = Field(description="The newest snapshot failed a blocking check.")


class EntryPublic(BaseModel):
    code: str
    status: ResourceStatus
    provider: DepartmentRef
    published: VersionPublic | None
    in_progress: VersionPublic | None = Field(
        None, description="Only for the providing department."
    )
    completeness: float = Field(description="Share of recommended metadata filled in (R6).")
    completeness_gaps: list[dict[str, str]] = Field(
        default_factory=list, description="What to fill in for a higher completeness score."
    )
    retire_reason: str | None
    statutory_sharing: list[dict[str, Any]]
    open_update_tasks: list[dict[str, Any]]
    quality: QualityBadge


class SearchHit(BaseModel):
    code: str
    name: str
    abstract: str
    provider: DepartmentRef
    share_type: str
    share_type_label: str
    classification_code: str
    update_cycle: str
    open_to_public: bool
    status: str


class SearchPage(BaseModel):
    total: int
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]] = Field(
        description="Counts per value of each filter, over the results."
    )


class Comment(BaseModel):
    comment: str = ""


class Reason(BaseModel):
    reason: str


class KeyChange(BaseModel):
    description: str = Field(min_length=2, examples=["业务系统升级，新增经营范围字段"])


class StatutoryCreate(BaseModel):
    item_name: str
    consumer_department_code: str
    citation: str = Field(min_length=2, examples=["《社会保险法》第五十七条"])


class SourceCreate(BaseModel):
    label: str
    department_code: str


class ValidationReport(BaseModel):
    valid: bool
    completeness: float
    problems: list[dict[str, str]]


class ImportReport(BaseModel):
    created: list[str]
    changed: list[str]


def _code(classification: str, sequence: str) -> str:
    return f"{classification}/{sequence}"


def _department_ref(session: Session, department_id: int) -> DepartmentRef:
    department = session.get_one(Department, department_id)
    return DepartmentRef(code=department.code, name=department.name)


def _quality_badge(session: Session, code: str) -> QualityBadge:
    status = session.get(DataStatus, code)
    if status is None:
        return QualityBadge(under_verification=False, open_issues=0, quarantined=False)
    return QualityBadge(
        under_verification=status.open_issues > 0,
        open_issues=status.open_issues,
        quarantined=status.quarantined_snapshot_id is not None,
    )


def _entry(session: Session, resource: Resource, viewer: Principal) -> EntryPublic:
    published = entries.published_version(session, resource)
    own = viewer.department_id == resource.provider_department_id
    in_progress = entries.working_version(session, resource) if own else None
    shown = in_progress or published
    return EntryPublic(
        code=resource.code,
        status=ResourceStatus(resource.status),
        provider=_department_ref(session, resource.provider_department_id),
        published=VersionPublic.model_validate(published) if published else None,
        in_progress=VersionPublic.model_validate(in_progress) if in_progress else None,
        completeness=completeness(EntryDraft.model_validate(shown)) if shown else 0.0,
        completeness_gaps=[
            {"field": gap.field, "message": gap.message.english}
            for gap in completeness_gaps(EntryDraft.model_validate(shown))
        ]
        if shown
        else [],
        retire_reason=resource.retire_reason,
        statutory_sharing=[
            {
                "item_name": s.item_name,
                "consumer_department_id": s.consumer_department_id,
                "citation": s.citation,
            }
            for s in governance.statutory_sharing_of(session, resource)
        ],
        open_update_tasks=[
            {
                "id": t.id,
                "origin": t.origin,
                "description": t.description,
                "opened_at": t.opened_at.isoformat(),
            }
            for t in tasks.tasks_of(session, resource)
            if t.state == "open"
        ],
        quality=_quality_badge(session, resource.code),
    )


@router.get("/search", summary="Find entries: words (Chinese substrings work), filters and facets")
def find(
    viewer: CurrentPrincipal,
    session: DbSession,
    q: Annotated[str, Query(description="Words, e.g. 企业 or 登记", max_length=100)] = "",
    provider: Annotated[str | None, Query(description="Provider department code")] = None,
    share_type: ShareType | None = None,
    classification: Annotated[
        str | None, Query(description="A classification code and all below it")
    ] = None,
    update_cycle: UpdateCycle | None = None,
    open_to_public: bool | None = None,
    entry_status: Annotated[ResourceStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> SearchPage:
    provider_id = get_department(session, provider).id if provider else None
    query = SearchQuery(
        text=q,
        provider_department_id=provider_id,
        share_type=share_type,
        classification=classification,
        update_cycle=update_cycle,
        open_to_public=open_to_public,
        status=entry_status,
        limit=limit,
        offset=offset,
    )
    result = search(session, query, viewer)
    departments = {d.id: d for d in session.scalars(select(Department))}
    hits = [
        SearchHit(
            code=h.code,
            name=h.name,
            abstract=h.abstract,
            provider=DepartmentRef(
                code=departments[h.provider_department_id].code,
                name=departments[h.provider_department_id].name,
            ),
            share_type=h.share_type,
            share_type_label=LABELS_ZH[h.share_type],
            classification_code=h.classification_code,
            update_cycle=h.update_cycle,
            open_to_public=h.open_to_public,
            status=h.status,
        )
        for h in result.hits
    ]
    facets = dict(result.facets)
    facets["provider"] = {
        departments[int(k)].code: v for k, v in facets.pop("provider_department_id").items()
    }
    return SearchPage(total=result.total, hits=hits, facets=facets)


class ClassificationCreate(BaseModel):
    code: str = Field(pattern=r"^\d{1,9}$", examples=["20201"])
    name: str = Field(min_length=1, max_length=100)


@router.post(
    "/classifications",
    status_code=status.HTTP_201_CREATED,
    summary="Add a classification node (bureau)",
)
def add_classification(
    body: ClassificationCreate, viewer: BureauAdmin, session: DbSession, platform: AppPlatform
) -> dict[str, Any]:
    node = add_classification_node(session, body.code, body.name)
    audit.record(
        session,
        at=platform.clock.now(),
        actor=viewer,
        action="catalog.classification",
        object_type="classification",
        object_id=node.code,
        detail={"name": node.name},
    )
    return {
        "code": node.code,
        "name": node.name,
        "level": node.level,
        "parent_code": node.parent_code,
    }


@router.get("/classifications", summary="The classification (类/项/目/细目)")
def classifications(_: CurrentPrincipal, session: DbSession) -> list[dict[str, Any]]:
    return [
        {"code": c.code, "name": c.name, "level": c.level, "parent_code": c.parent_code}
        for c in session.scalars(select(Classification).order_by(Classification.code))
    ]


@router.post("/validate", summary="Check an entry without saving it (R6)")
def validate(draft: EntryDraft, viewer: CurrentPrincipal, session: DbSession) -> ValidationReport:
    if viewer.department_id is None:
        raise InvalidInput("validation needs a department")
    problems = validate_entry(
        draft, entries.validation_context(session, viewer.department_id, None)
    )
    return ValidationReport(
        valid=not problems,
        completeness=completeness(draft),
        problems=[p.as_dict() for p in problems],
    )


@router.post(
    "/entries", status_code=status.HTTP_201_CREATED, summary="Register a new entry (a draft)"
)
def create(
    draft: EntryDraft, viewer: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> EntryPublic:
    version = entries.create_entry(session, actor=viewer, now=platform.clock.now(), draft=draft)
    return _entry(session, version.resource, viewer)


@router.get(ENTRY, summary="One entry")
def read(
    classification: str, sequence: str, viewer: CurrentPrincipal, session: DbSession
) -> EntryPublic:
    resource = entries.visible_resource(session, _code(classification, sequence), viewer)
    return _entry(session, resource, viewer)


@router.put(ENTRY + "/draft", summary="Replace the draft (registrar of the provider)")
def edit(
    classification: str,
    sequence: str,
    draft: EntryDraft,
    viewer: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
) -> EntryPublic:
    version = entries.update_draft(
        session,
        actor=viewer,
        now=platform.clock.now(),
        code=_code(classification, sequence),
        draft=draft,
    )
    return _entry(session, version.resource, viewer)


@router.post(
    ENTRY + "/versions",
    status_code=status.HTTP_201_CREATED,
    summary="Start a new version of a published entry",
)
def new_version(
    classification: str,
    sequence: str,
    viewer: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
) -> EntryPublic:
    version = entries.start_new_version(
        session, actor=viewer, now=platform.clock.now(), code=_code(classification, sequence)
    )
    return _entry(session, version.resource, viewer)


@router.post(ENTRY + "/submit", summary="Submit the draft for review")
def submit(
    classification: str,
    sequence: str,
    viewer: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
) -> EntryPublic:
    version = lifecycle.submit(
        session,
        actor=viewer,
        env=platform.workflow_environment(session),
        code=_code(classification, sequence),
    )
    return _entry(session, version.resource, viewer)


@router.post(ENTRY + "/approve", summary="Approve and publish (a reviewer who did not register it)")
def approve(
    classification: str,
    sequence: str,
    body: Comment,
    viewer: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
) -> EntryPublic:
    version = lifecycle.approve(
        session,
        actor=viewer,
        env=platform.workflow_environment(session),
        code=_code(classification, sequence),
        comment=body.comment or None,
    )
    return _entry(session, version.resource, viewer)


@router.post(ENTRY + "/return", summary="Return to the registrar with comments")
def return_entry(
    classification: str,
    sequence: str,
    body: Comment,
    viewer: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
) -> EntryPublic:
    version = lifecycle.return_for_changes(
        session,
        actor=viewer,
        env=platform.workflow_environment(session),
        code=_code(classification, sequence),
        comment=body.comment,
    )
    return _entry(session, version.resource, viewer)


@router.post(ENTRY + "/retire", summary="Retire a published entry, with a reason")
def retire(
    classification: str,
    sequence: str,
    body: Reason,
    viewer: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
) -> EntryPublic:
    resource = lifecycle.retire(
        session,
        actor=viewer,
        env=platform.workflow_environment(session),
        code=_code(classification, sequence),
        reason=body.reason,
    )
    return _entry(session, resource, viewer)


@router.get(ENTRY + "/versions", summary="Every version the viewer may see")
def versions(
    classification: str, sequence: str, viewer: CurrentPrincipal, session: DbSession
) -> list[VersionPublic]:
    resource = entries.visible_resource(session, _code(classification, sequence), viewer)
    return [VersionPublic.model_validate(v) for v in _visible_versions(session, resource, viewer)]


def _visible_versions(
    session: Session, resource: Resource, viewer: Principal
) -> list[ResourceVersion]:
    all_versions = session.scalars(
        select(ResourceVersion)
        .where(ResourceVersion.resource_id == resource.id)
        .order_by(ResourceVersion.number)
    ).all()
    if viewer.department_id == resource.provider_department_id:
        return list(all_versions)
    return [v for v in all_versions if v.state in ("published", "superseded")]


@router.get(ENTRY + "/diff", summary="What changed between two versions")
def diff(
    classification: str,
    sequence: str,
    viewer: CurrentPrincipal,
    session: DbSession,
    from_version: Annotated[int, Query(alias="from", ge=1)],
    to_version: Annotated[int, Query(alias="to", ge=1)],
) -> dict[str, Any]:
    resource = entries.visible_resource(session, _code(classification, sequence), viewer)
    by_number = {v.number: v for v in _visible_versions(session, resource, viewer)}
    if from_version not in by_number or to_version not in by_number:
        raise NotFound(
            "entry {code} has no version {from_version} or {to_version} you may see",
            code=resource.code,
            from_version=from_version,
            to_version=to_version,
        )
    result = diff_versions(by_number[from_version], by_number[to_version])
    return {
        "from": from_version,
        "to": to_version,
        "key_change": result.key_change,
        "lines": result.lines(),
        "fields": {k: list(v) for k, v in result.fields.items()},
        "items_added": result.items_added,
        "items_removed": result.items_removed,
        "items_changed": {
            k: {f: list(c) for f, c in v.items()} for k, v in result.items_changed.items()
        },
    }


@router.get(ENTRY + "/history", summary="Review history of the entry")
def entry_history(
    classification: str, sequence: str, viewer: CurrentPrincipal, session: DbSession
) -> list[dict[str, Any]]:
    resource = entries.visible_resource(session, _code(classification, sequence), viewer)
    events = []
    for version in _visible_versions(session, resource, viewer):
        for event in history(session, subject_type="catalog_version", subject_id=version.id):
            events.append(
                {
                    "version": version.number,
                    "action": event.action,
                    "from": event.from_state,
                    "to": event.to_state,
                    "actor": event.actor,
                    "at": event.at.isoformat(),
                    "comment": event.comment,
                }
            )
    return sorted(events, key=lambda e: e["at"])


@router.post(
    ENTRY + "/key-changes",
    status_code=status.HTTP_201_CREATED,
    summary="Declare a key-element change (R7): the catalog must follow within 3 working days",
)
def declare_key_change(
    classification: str,
    sequence: str,
    body: KeyChange,
    viewer: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
) -> dict[str, Any]:
    task = tasks.open_update_task(
        session,
        actor=viewer,
        env=platform.workflow_environment(session),
        code=_code(classification, sequence),
        description=body.description,
    )
    return {"id": task.id, "state": task.state, "opened_at": task.opened_at.isoformat()}


@router.post(
    ENTRY + "/statutory-sharing",
    status_code=status.HTTP_201_CREATED,
    summary="Record that a law requires an item to be shared with a department (R4)",
)
def statutory(
    classification: str,
    sequence: str,
    body: StatutoryCreate,
    viewer: BureauAdmin,
    session: DbSession,
    platform: AppPlatform,
) -> dict[str, Any]:
    record = governance.record_statutory_sharing(
        session,
        actor=viewer,
        now=platform.clock.now(),
        code=_code(classification, sequence),
        item_name=body.item_name,
        consumer_code=body.consumer_department_code,
        citation=body.citation,
    )
    return {"id": record.id, "item_name": record.item_name, "citation": record.citation}


@router.put(
    "/authoritative-sources/{element}",
    summary="Name the authoritative department of a data element (R8)",
)
def authoritative_source(
    element: str, body: SourceCreate, viewer: BureauAdmin, session: DbSession, platform: AppPlatform
) -> dict[str, str]:
    governance.set_authoritative_source(
        session,
        actor=viewer,
        now=platform.clock.now(),
        element=element,
        label=body.label,
        department_code=body.department_code,
    )
    return {"element": element, "department_code": body.department_code}


@router.get(
    "/duplicate-collection",
    summary="Items collected again although another department is authoritative (R8)",
)
def duplicate_collection(
    _: Annotated[Principal, Depends(require_action("catalog", "review_duplicates"))],
    session: DbSession,
) -> list[dict[str, Any]]:
    return [row.__dict__ for row in governance.duplicate_collection_report(session)]


@router.post(
    "/import",
    summary="Import entries from the spreadsheet template (.xlsx or .csv), all or nothing",
)
def import_file(
    file: UploadFile, viewer: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> ImportReport:
    # A plain function: FastAPI runs it in a worker thread, so parsing never blocks other requests.
    check_may_import(viewer)
    result = import_catalog(
        session,
        actor=viewer,
        now=platform.clock.now(),
        content=file.file.read(),
        filename=file.filename or "upload.csv",
        max_rows=platform.settings.import_max_rows,
    )
    return ImportReport(created=result.created, changed=result.changed)


EXPORT_TYPES = {"xlsx": XLSX_TYPE, "csv": CSV_TYPE}


@router.get(
    "/export",
    summary="Export entries: xlsx or csv template, json, or dcat (DCAT-AP JSON-LD)",
    responses=documented_as("application/json", "application/ld+json", XLSX_TYPE, CSV_TYPE),
)
def export(
    viewer: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
    export_format: Annotated[str, Query(alias="format", pattern="^(xlsx|csv|json|dcat)$")] = "xlsx",
    provider: str | None = None,
    lang: Annotated[
        str, Query(pattern="^(zh|en)$", description="The template's language (xlsx, csv)")
    ] = "zh",
) -> Response:
    if export_format == "dcat":
        document = dcat_catalog(session, base_url=platform.settings.public_base_url)
        return Response(orjson.dumps(document), media_type="application/ld+json")
    provider_id = get_department(session, provider).id if provider else None
    chosen = entries_for_export(session, viewer=viewer, provider_department_id=provider_id)
    if export_format == "json":
        body = [
            {"code": r.code, "status": r.status, **d.model_dump(mode="json")} for r, d in chosen
        ]
        return Response(orjson.dumps(body), media_type="application/json")
    rows = (row for resource, draft in chosen for row in entry_rows(resource.code, draft, lang))
    content = write_xlsx(rows, lang) if export_format == "xlsx" else write_csv(rows, lang)
    return Response(
        content,
        media_type=EXPORT_TYPES[export_format],
        headers={"Content-Disposition": f'attachment; filename="catalog.{export_format}"'},
    )


class AdministratorAssign(BaseModel):
    username: str


@router.put(
    "/administrators/{department_code}",
    summary="Register a department's data resource administrator",
)
def assign_administrator(
    department_code: str,
    body: AdministratorAssign,
    viewer: BureauAdmin,
    session: DbSession,
    platform: AppPlatform,
) -> list[dict[str, Any]]:
    governance.assign_administrator(
        session,
        actor=viewer,
        now=platform.clock.now(),
        department_code=department_code,
        username=body.username,
    )
    return administrators(department_code, viewer, session)


@router.get(
    "/administrators/{department_code}",
    summary="A department's data resource administrators, with history",
)
def administrators(
    department_code: str, _: CurrentPrincipal, session: DbSession
) -> list[dict[str, Any]]:
    return [
        {
            "username": user.username,
            "display_name": user.display_name,
            "started_at": record.started_at.isoformat(),
            "ended_at": record.ended_at.isoformat() if record.ended_at else None,
        }
        for record, user in governance.administrators_of(session, department_code)
    ]
