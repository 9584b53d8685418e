"""Registering and changing entries (R1, R2, R6): drafts, versions, and the checks on them."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.access import may_register, require_provider_action, require_visible
from catalog.models import AuthoritativeSource, Classification, DataItem, Resource, ResourceVersion
from catalog.schemas import EntryDraft
from catalog.search import reindex
from catalog.validation import Context, derived_share_type, raise_if_invalid
from catalog.vocab import ResourceStatus, VersionState
from exchange import audit
from exchange.errors import Conflict, NotFound, PermissionDenied
from exchange.principal import Principal

WORKING_STATES = (VersionState.DRAFT, VersionState.SUBMITTED, VersionState.RETURNED)
EDITABLE_STATES = (VersionState.DRAFT, VersionState.RETURNED)


def get_resource(session: Session, code: str) -> Resource:
    resource = session.scalar(select(Resource).where(Resource.code == code))
    if resource is None:
        raise NotFound("no catalog entry {code}", code=code)
    return resource


def visible_resource(session: Session, code: str, actor: Principal) -> Resource:
    resource = get_resource(session, code)
    require_visible(actor, resource)
    return resource


def working_version(session: Session, resource: Resource) -> ResourceVersion | None:
    """The version being drafted or reviewed, if any (at most one at a time)."""
    return session.scalar(
        select(ResourceVersion).where(
            ResourceVersion.resource_id == resource.id, ResourceVersion.state.in_(WORKING_STATES)
        )
    )


def department_versions(
    session: Session, department_id: int | None, states: Sequence[str]
) -> list[tuple[ResourceVersion, str]]:
    """A department's versions in ``states`` with their entries' codes: drafts to submit, entries
    waiting for review."""
    rows = session.execute(
        select(ResourceVersion, Resource.code)
        .join(Resource, Resource.id == ResourceVersion.resource_id)
        .where(Resource.provider_department_id == department_id,
               ResourceVersion.state.in_(list(states)))
        .order_by(ResourceVersion.submitted_at, Resource.code)
    )  # fmt: skip
    return [(version, code) for version, code in rows]


def visible_versions(
    session: Session, resource: Resource, actor: Principal
) -> list[ResourceVersion]:
    """Every version of the entry ``actor`` may see: all of them for the providing department,
    the published and superseded ones for everyone else."""
    every = session.scalars(
        select(ResourceVersion)
        .where(ResourceVersion.resource_id == resource.id)
        .order_by(ResourceVersion.number)
    ).all()
    if actor.department_id == resource.provider_department_id:
        return list(every)
    return [v for v in every if v.state in (VersionState.PUBLISHED, VersionState.SUPERSEDED)]


def published_version(session: Session, resource: Resource) -> ResourceVersion | None:
    if resource.published_version_id is None:
        return None
    return session.get(ResourceVersion, resource.published_version_id)


def item_labels(session: Session, resource: Resource) -> dict[str, str]:
    """Each data item's name in the catalog (企业名称) by its identifier (enterprise_name), from
    the published version: what pages show people instead of identifiers."""
    version = published_version(session, resource)
    return {} if version is None else {item.name: item.label for item in version.items}


def validation_context(
    session: Session, provider_department_id: int, own_code: str | None
) -> Context:
    authorities = dict(
        session.execute(
            select(AuthoritativeSource.element, AuthoritativeSource.department_id)
        ).all()
    )
    return Context(
        classification_exists=lambda code: session.get(Classification, code) is not None,
        resource_code_exists=lambda code: (
            session.scalar(select(Resource.id).where(Resource.code == code)) is not None
        ),
        authoritative_department=authorities.get,
        provider_department_id=provider_department_id,
        own_code=own_code,
    )


def create_entry(
    session: Session, *, actor: Principal, now: datetime, draft: EntryDraft
) -> ResourceVersion:
    """A registrar drafts a new entry of their own department."""
    if actor.department_id is None or not may_register(actor):
        raise PermissionDenied("registering an entry needs the catalog_registrar role")
    raise_if_invalid(draft, validation_context(session, actor.department_id, None))
    resource = Resource(
        code=_new_code(session, draft.classification_code),
        provider_department_id=actor.department_id,
        status=ResourceStatus.DRAFT,
        created_at=now,
    )
    session.add(resource)
    session.flush()
    version = ResourceVersion(
        resource_id=resource.id,
        number=1,
        state=VersionState.DRAFT,
        created_by=actor.user_id,
        created_at=now,
    )
    _fill(version, draft)
    session.add(version)
    session.flush()
    reindex(session, resource)
    audit.record(
        session,
        at=now,
        actor=actor,
        action="catalog.create",
        object_type="catalog_resource",
        object_id=resource.code,
        detail={"name": draft.name, "items": len(draft.items)},
    )
    return version


def update_draft(
    session: Session, *, actor: Principal, now: datetime, code: str, draft: EntryDraft
) -> ResourceVersion:
    """Replace the working version's metadata and items. Published versions are never edited."""
    resource = get_resource(session, code)
    require_provider_action(actor, resource, "edit", doing="edit")
    version = working_version(session, resource)
    if version is None or version.state not in EDITABLE_STATES:
        state = version.state if version else resource.status
        raise Conflict(
            "entry {code} has no draft to edit (it is {state}); start a new version to change a published entry",
            detail={"state": state},
            code=code,
            state=state,
        )
    raise_if_invalid(
        draft, validation_context(session, resource.provider_department_id, resource.code)
    )
    version.items.clear()
    session.flush()
    _fill(version, draft)
    if actor.user_id is not None and actor.user_id not in version.edited_by:
        version.edited_by = [*version.edited_by, actor.user_id]
    session.flush()
    reindex(session, resource)
    audit.record(
        session,
        at=now,
        actor=actor,
        action="catalog.edit",
        object_type="catalog_resource",
        object_id=code,
        detail={"version": version.number},
    )
    return version


def start_new_version(
    session: Session, *, actor: Principal, now: datetime, code: str
) -> ResourceVersion:
    """A new draft copied from the published version: how a published entry is changed."""
    resource = get_resource(session, code)
    require_provider_action(actor, resource, "edit", doing="change")
    if resource.status == ResourceStatus.RETIRED:
        raise Conflict("entry {code} is retired and cannot change", code=code)
    if working_version(session, resource) is not None:
        raise Conflict("entry {code} already has a version in progress; edit that one", code=code)
    current = published_version(session, resource)
    if current is None:
        raise Conflict("entry {code} has never been published; edit its draft", code=code)
    number = session.scalar(
        select(func.max(ResourceVersion.number)).where(ResourceVersion.resource_id == resource.id)
    )
    version = ResourceVersion(
        resource_id=resource.id,
        number=(number or 0) + 1,
        state=VersionState.DRAFT,
        created_by=actor.user_id,
        created_at=now,
    )
    _fill(version, EntryDraft.model_validate(current))
    version.change_note = None
    session.add(version)
    session.flush()
    audit.record(
        session,
        at=now,
        actor=actor,
        action="catalog.new_version",
        object_type="catalog_resource",
        object_id=code,
        detail={"version": version.number},
    )
    return version


def _fill(version: ResourceVersion, draft: EntryDraft) -> None:
    fields = draft.model_dump(exclude={"items"})
    for name, value in fields.items():
        setattr(version, name, value)
    version.share_type = derived_share_type(draft.items)
    version.items = [
        DataItem(position=index, **item.model_dump()) for index, item in enumerate(draft.items)
    ]


def _new_code(session: Session, classification_code: str) -> str:
    """Classification code, a slash, and the next six-digit sequence number within it."""
    prefix = f"{classification_code}/"
    codes = session.scalars(
        select(Resource.code).where(Resource.code.startswith(prefix, autoescape=True))
    )
    last = max((int(c[len(prefix) :]) for c in codes if c[len(prefix) :].isdigit()), default=0)
    return f"{prefix}{last + 1:06d}"
