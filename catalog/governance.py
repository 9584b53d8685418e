"""The bureau's records: statutory sharing (R4), authoritative sources and duplicate collection
(R8), and each department's data resource administrator."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.access import require_bureau
from catalog.entries import get_resource, published_version
from catalog.models import (
    AuthoritativeSource,
    DataItem,
    Resource,
    ResourceVersion,
    StatutorySharing,
)
from catalog.vocab import VersionState
from exchange import audit
from exchange.errors import InvalidInput, NotFound
from exchange.identity.models import Department, RoleTerm, User
from exchange.identity.roles import Role
from exchange.identity.service import get_department, replace_roles, role_terms
from exchange.principal import Principal


def record_statutory_sharing(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    code: str,
    item_name: str,
    consumer_code: str,
    citation: str,
) -> StatutorySharing:
    require_bureau(actor, "record statutory sharing")
    if not citation.strip():
        raise InvalidInput(
            "statutory sharing cites the law that requires it", detail={"field": "citation"}
        )
    resource = get_resource(session, code)
    version = published_version(session, resource)
    if version is None or item_name not in {i.name for i in version.items}:
        raise InvalidInput(
            "{code} has no published item {item_name}",
            detail={"field": "item_name"},
            code=code,
            item_name=item_name,
        )
    consumer = get_department(session, consumer_code)
    record = StatutorySharing(
        resource_id=resource.id,
        item_name=item_name,
        consumer_department_id=consumer.id,
        citation=citation,
        recorded_by=actor.user_id,
        recorded_at=now,
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        at=now,
        actor=actor,
        action="catalog.statutory_sharing",
        object_type="catalog_resource",
        object_id=code,
        detail={"item": item_name, "consumer": consumer_code, "citation": citation},
    )
    return record


def statutory_sharing_of(session: Session, resource: Resource) -> list[StatutorySharing]:
    return list(
        session.scalars(
            select(StatutorySharing)
            .where(
                StatutorySharing.resource_id == resource.id, StatutorySharing.revoked_at.is_(None)
            )
            .order_by(StatutorySharing.id)
        )
    )


def set_authoritative_source(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    element: str,
    label: str,
    department_code: str,
) -> AuthoritativeSource:
    require_bureau(actor, "name authoritative sources")
    department = get_department(session, department_code)
    source = session.get(AuthoritativeSource, element)
    if source is None:
        source = AuthoritativeSource(
            element=element, label=label, department_id=department.id, recorded_at=now
        )
        session.add(source)
    else:
        source.label, source.department_id, source.recorded_at = label, department.id, now
    session.flush()
    audit.record(
        session,
        at=now,
        actor=actor,
        action="catalog.authoritative_source",
        object_type="data_element",
        object_id=element,
        detail={"department": department_code, "label": label},
    )
    return source


@dataclass(frozen=True)
class DuplicateCollection:
    resource_code: str
    resource_name: str
    provider: str
    item_name: str
    item_label: str
    element: str
    authoritative_department: str
    justification: str | None
    version_state: str


def duplicate_collection_report(session: Session) -> list[DuplicateCollection]:
    """Items that collect an element another department is authoritative for (R8)."""
    provider = Department.__table__.alias("provider")
    authority = Department.__table__.alias("authority")
    rows = session.execute(
        select(
            Resource.code,
            ResourceVersion.name,
            provider.c.name,
            DataItem.name,
            DataItem.label,
            DataItem.element,
            authority.c.name,
            DataItem.duplicate_justification,
            ResourceVersion.state,
        )
        .join(ResourceVersion, ResourceVersion.resource_id == Resource.id)
        .join(DataItem, DataItem.version_id == ResourceVersion.id)
        .join(AuthoritativeSource, AuthoritativeSource.element == DataItem.element)
        .join(provider, provider.c.id == Resource.provider_department_id)
        .join(authority, authority.c.id == AuthoritativeSource.department_id)
        .where(
            AuthoritativeSource.department_id != Resource.provider_department_id,
            ResourceVersion.state != VersionState.SUPERSEDED,
        )
        .order_by(Resource.code, DataItem.position)
    ).all()
    return [DuplicateCollection(*row) for row in rows]


def assign_administrator(
    session: Session, *, actor: Principal, now: datetime, department_code: str, username: str
) -> User:
    """Register a department's data resource administrator: the user takes the role, and whoever
    held it before in the department gives it up (the administrator is replaced when staff
    change). The register is the role's terms, so the two cannot disagree."""
    require_bureau(actor, "register data resource administrators")
    department = get_department(session, department_code)
    user = session.scalar(select(User).where(User.username == username))
    if user is None or user.department_id != department.id:
        raise NotFound(
            "no user {username} in department {department_code}",
            username=username,
            department_code=department_code,
        )
    for _, holder in current_administrators(session, department.id):
        if holder.id != user.id:
            replace_roles(session, actor=actor, now=now, user_id=holder.id,
                      roles=[Role(r) for r in holder.roles if r != Role.DATA_RESOURCE_ADMIN])  # fmt: skip
    if Role.DATA_RESOURCE_ADMIN not in user.roles:
        replace_roles(session, actor=actor, now=now, user_id=user.id,
                  roles=[*(Role(r) for r in user.roles), Role.DATA_RESOURCE_ADMIN])  # fmt: skip
    audit.record(
        session,
        at=now,
        actor=actor,
        action="catalog.administrator",
        object_type="department",
        object_id=department_code,
        detail={"user": username},
    )
    return user


def administrators_of(session: Session, department_code: str) -> list[tuple[RoleTerm, User]]:
    """The department's data resource administrators, present and past, with their terms."""
    department = get_department(session, department_code)
    return role_terms(session, role=Role.DATA_RESOURCE_ADMIN, department_id=department.id)


def current_administrators(session: Session, department_id: int) -> list[tuple[RoleTerm, User]]:
    return [
        (term, user)
        for term, user in role_terms(
            session, role=Role.DATA_RESOURCE_ADMIN, department_id=department_id
        )
        if term.ended_at is None
    ]
