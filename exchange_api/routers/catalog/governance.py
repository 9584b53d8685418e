"""The bureau's governance of the catalog over HTTP: the classification, statutory sharing (R4),
authoritative sources and duplicate collection (R8), data resource administrators."""

from typing import Annotated

from fastapi import APIRouter, Depends, status
from sqlalchemy import select

from catalog import governance
from catalog.classification import add_classification as add_classification_node
from catalog.models import Classification
from exchange import audit
from exchange.principal import Principal
from exchange_api.deps import AppPlatform, BureauAdmin, CurrentPrincipal, DbSession, require_action
from exchange_api.errors import ERROR_RESPONSES
from exchange_api.routers.catalog.paths import ENTRY, entry_code
from exchange_api.schemas.catalog import (
    AdministratorAssign,
    AdministratorTerm,
    AuthoritativeSourcePublic,
    ClassificationCreate,
    ClassificationPublic,
    DuplicateCollectionRow,
    SourceCreate,
    StatutoryCreate,
    StatutorySharingPublic,
)

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"], responses=ERROR_RESPONSES)


@router.post(
    "/classifications",
    status_code=status.HTTP_201_CREATED,
    summary="Add a classification node (bureau)",
)
def add_classification(
    body: ClassificationCreate, actor: BureauAdmin, session: DbSession, platform: AppPlatform
) -> ClassificationPublic:
    node = add_classification_node(session, body.code, body.name, body.name_en)
    audit.record(
        session,
        at=platform.clock.now(),
        actor=actor,
        action="catalog.classification",
        object_type="classification",
        object_id=node.code,
        detail={"name": node.name, "name_en": node.name_en},
    )
    return ClassificationPublic.model_validate(node, from_attributes=True)


@router.get("/classifications", summary="The classification (类/项/目/细目)")
def classifications(_: CurrentPrincipal, session: DbSession) -> list[ClassificationPublic]:
    return [
        ClassificationPublic.model_validate(c, from_attributes=True)
        for c in session.scalars(select(Classification).order_by(Classification.code))
    ]


@router.post(
    ENTRY + "/statutory-sharing",
    status_code=status.HTTP_201_CREATED,
    summary="Record that a law requires an item to be shared with a department (R4)",
)
def statutory(
    classification: str,
    sequence: str,
    body: StatutoryCreate,
    actor: BureauAdmin,
    session: DbSession,
    platform: AppPlatform,
) -> StatutorySharingPublic:
    record = governance.record_statutory_sharing(
        session,
        actor=actor,
        now=platform.clock.now(),
        code=entry_code(classification, sequence),
        item_name=body.item_name,
        consumer_code=body.consumer_department_code,
        citation=body.citation,
    )
    return StatutorySharingPublic.model_validate(record, from_attributes=True)


@router.put(
    "/authoritative-sources/{element}",
    summary="Name the authoritative department of a data element (R8)",
)
def authoritative_source(
    element: str, body: SourceCreate, actor: BureauAdmin, session: DbSession, platform: AppPlatform
) -> AuthoritativeSourcePublic:
    governance.set_authoritative_source(
        session,
        actor=actor,
        now=platform.clock.now(),
        element=element,
        label=body.label,
        department_code=body.department_code,
    )
    return AuthoritativeSourcePublic(element=element, department_code=body.department_code)


@router.get(
    "/duplicate-collection",
    summary="Items collected again although another department is authoritative (R8)",
)
def duplicate_collection(
    _: Annotated[Principal, Depends(require_action("catalog", "review_duplicates"))],
    session: DbSession,
) -> list[DuplicateCollectionRow]:
    return [
        DuplicateCollectionRow.model_validate(row, from_attributes=True)
        for row in governance.duplicate_collection_report(session)
    ]


@router.put(
    "/administrators/{department_code}",
    summary="Register a department's data resource administrator",
)
def assign_administrator(
    department_code: str,
    body: AdministratorAssign,
    actor: BureauAdmin,
    session: DbSession,
    platform: AppPlatform,
) -> list[AdministratorTerm]:
    governance.assign_administrator(
        session,
        actor=actor,
        now=platform.clock.now(),
        department_code=department_code,
        username=body.username,
    )
    return administrators(department_code, actor, session)


@router.get(
    "/administrators/{department_code}",
    summary="A department's data resource administrators, with history",
)
def administrators(
    department_code: str, _: CurrentPrincipal, session: DbSession
) -> list[AdministratorTerm]:
    return [
        AdministratorTerm(
            username=user.username,
            display_name=user.display_name,
            started_at=term.started_at,
            ended_at=term.ended_at,
        )
        for term, user in governance.administrators_of(session, department_code)
    ]
