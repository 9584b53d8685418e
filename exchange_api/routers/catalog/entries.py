"""Catalog entries over HTTP: find, register, review, publish, change, retire; versions, diffs
and history."""

from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import entries, governance, lifecycle, tasks
from catalog.diff import diff_versions
from catalog.models import Resource
from catalog.schemas import EntryDraft
from catalog.search import SearchQuery, search
from catalog.validation import completeness, completeness_gaps, validate_entry
from catalog.vocab import LABELS_ZH, ResourceStatus, ShareType, UpdateCycle
from exchange.data_status import DataStatus
from exchange.errors import InvalidInput, NotFound
from exchange.identity.models import Department
from exchange.identity.service import get_department
from exchange.principal import Principal
from exchange.workflow.engine import history
from exchange_api.deps import AppPlatform, CurrentPrincipal, DbSession
from exchange_api.errors import ERROR_RESPONSES
from exchange_api.routers.catalog.paths import ENTRY, entry_code
from exchange_api.schemas.catalog import (
    Comment,
    DepartmentRef,
    EntryPublic,
    EntryStep,
    KeyChange,
    QualityBadge,
    Reason,
    SearchHit,
    SearchPage,
    UpdateTaskPublic,
    ValidationReport,
    VersionDiff,
    VersionPublic,
)
from exchange_api.schemas.common import WorkflowStep

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"], responses=ERROR_RESPONSES)


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


def _entry(session: Session, resource: Resource, actor: Principal) -> EntryPublic:
    published = entries.published_version(session, resource)
    own = actor.department_id == resource.provider_department_id
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
    actor: CurrentPrincipal,
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
    result = search(session, query, actor)
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


@router.post("/validate", summary="Check an entry without saving it (R6)")
def validate(draft: EntryDraft, actor: CurrentPrincipal, session: DbSession) -> ValidationReport:
    if actor.department_id is None:
        raise InvalidInput("validation needs a department")
    problems = validate_entry(draft, entries.validation_context(session, actor.department_id, None))
    return ValidationReport(
        valid=not problems,
        completeness=completeness(draft),
        problems=[p.as_dict() for p in problems],
    )


@router.post(
    "/entries", status_code=status.HTTP_201_CREATED, summary="Register a new entry (a draft)"
)
def create(
    draft: EntryDraft, actor: CurrentPrincipal, session: DbSession, platform: AppPlatform
) -> EntryPublic:
    version = entries.create_entry(session, actor=actor, now=platform.clock.now(), draft=draft)
    return _entry(session, version.resource, actor)


@router.get(ENTRY, summary="One entry")
def read(
    classification: str, sequence: str, actor: CurrentPrincipal, session: DbSession
) -> EntryPublic:
    resource = entries.visible_resource(session, entry_code(classification, sequence), actor)
    return _entry(session, resource, actor)


@router.put(ENTRY + "/draft", summary="Replace the draft (registrar of the provider)")
def edit(
    classification: str,
    sequence: str,
    draft: EntryDraft,
    actor: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
) -> EntryPublic:
    version = entries.update_draft(
        session,
        actor=actor,
        now=platform.clock.now(),
        code=entry_code(classification, sequence),
        draft=draft,
    )
    return _entry(session, version.resource, actor)


@router.post(
    ENTRY + "/versions",
    status_code=status.HTTP_201_CREATED,
    summary="Start a new version of a published entry",
)
def new_version(
    classification: str,
    sequence: str,
    actor: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
) -> EntryPublic:
    version = entries.start_new_version(
        session, actor=actor, now=platform.clock.now(), code=entry_code(classification, sequence)
    )
    return _entry(session, version.resource, actor)


@router.post(ENTRY + "/submit", summary="Submit the draft for review")
def submit(
    classification: str,
    sequence: str,
    actor: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
) -> EntryPublic:
    version = lifecycle.submit(
        session,
        actor=actor,
        env=platform.workflow_environment(session),
        code=entry_code(classification, sequence),
    )
    return _entry(session, version.resource, actor)


@router.post(ENTRY + "/approve", summary="Approve and publish (a reviewer who did not register it)")
def approve(
    classification: str,
    sequence: str,
    body: Comment,
    actor: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
) -> EntryPublic:
    version = lifecycle.approve(
        session,
        actor=actor,
        env=platform.workflow_environment(session),
        code=entry_code(classification, sequence),
        comment=body.comment or None,
    )
    return _entry(session, version.resource, actor)


@router.post(ENTRY + "/return", summary="Return to the registrar with comments")
def return_entry(
    classification: str,
    sequence: str,
    body: Comment,
    actor: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
) -> EntryPublic:
    version = lifecycle.return_for_changes(
        session,
        actor=actor,
        env=platform.workflow_environment(session),
        code=entry_code(classification, sequence),
        comment=body.comment,
    )
    return _entry(session, version.resource, actor)


@router.post(ENTRY + "/retire", summary="Retire a published entry, with a reason")
def retire(
    classification: str,
    sequence: str,
    body: Reason,
    actor: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
) -> EntryPublic:
    resource = lifecycle.retire(
        session,
        actor=actor,
        env=platform.workflow_environment(session),
        code=entry_code(classification, sequence),
        reason=body.reason,
    )
    return _entry(session, resource, actor)


@router.get(ENTRY + "/versions", summary="Every version the actor may see")
def versions(
    classification: str, sequence: str, actor: CurrentPrincipal, session: DbSession
) -> list[VersionPublic]:
    resource = entries.visible_resource(session, entry_code(classification, sequence), actor)
    return [
        VersionPublic.model_validate(v) for v in entries.visible_versions(session, resource, actor)
    ]


@router.get(ENTRY + "/diff", summary="What changed between two versions")
def diff(
    classification: str,
    sequence: str,
    actor: CurrentPrincipal,
    session: DbSession,
    from_version: Annotated[int, Query(alias="from", ge=1)],
    to_version: Annotated[int, Query(alias="to", ge=1)],
) -> VersionDiff:
    resource = entries.visible_resource(session, entry_code(classification, sequence), actor)
    by_number = {v.number: v for v in entries.visible_versions(session, resource, actor)}
    if from_version not in by_number or to_version not in by_number:
        raise NotFound(
            "entry {code} has no version {from_version} or {to_version} you may see",
            code=resource.code,
            from_version=from_version,
            to_version=to_version,
        )
    result = diff_versions(by_number[from_version], by_number[to_version])
    return VersionDiff(
        from_=from_version,
        to=to_version,
        key_change=result.key_change,
        lines=result.lines(),
        fields={k: list(v) for k, v in result.fields.items()},
        items_added=result.items_added,
        items_removed=result.items_removed,
        items_changed={
            k: {f: list(c) for f, c in v.items()} for k, v in result.items_changed.items()
        },
    )


@router.get(ENTRY + "/history", summary="Review history of the entry")
def entry_history(
    classification: str, sequence: str, actor: CurrentPrincipal, session: DbSession
) -> list[EntryStep]:
    resource = entries.visible_resource(session, entry_code(classification, sequence), actor)
    steps = [
        EntryStep(version=version.number, **WorkflowStep.of(event).model_dump())
        for version in entries.visible_versions(session, resource, actor)
        for event in history(session, subject_type="catalog_version", subject_id=version.id)
    ]
    return sorted(steps, key=lambda step: step.at)


@router.post(
    ENTRY + "/key-changes",
    status_code=status.HTTP_201_CREATED,
    summary="Declare a key-element change (R7): the catalog must follow within 3 working days",
)
def declare_key_change(
    classification: str,
    sequence: str,
    body: KeyChange,
    actor: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
) -> UpdateTaskPublic:
    task = tasks.open_update_task(
        session,
        actor=actor,
        env=platform.workflow_environment(session),
        code=entry_code(classification, sequence),
        description=body.description,
    )
    return UpdateTaskPublic(id=task.id, state=task.state, opened_at=task.opened_at)
