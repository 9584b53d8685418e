"""Catalog pages: search with facets, and a resource's page (items with share-type badges,
freshness, quality status, who to ask)."""

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import entries, governance
from catalog.models import Classification, Resource, ResourceVersion
from catalog.schemas import EntryDraft
from catalog.search import SearchQuery, search
from catalog.validation import completeness, completeness_gaps
from catalog.vocab import LABELS_ZH, ShareType
from collection.models import IngestRun
from collection.resource_charts import resource_charts
from collection.vocab import RunStatus
from exchange.charts import Chart
from exchange.data_status import DataStatus
from exchange.identity.models import Department
from exchange.runtime import Platform
from exchange.worklist.service import acknowledge
from exchange_api.deps import AppPlatform, DbSession
from exchange_api.portal.charts import chart_context, charts_answer
from exchange_api.portal.web import PortalUser, render

router = APIRouter(include_in_schema=False)


@router.get("/catalog")
def catalog_search(
    request: Request,
    actor: PortalUser,
    session: DbSession,
    q: str = "",
    share_type: str = "",
    department: str = "",
    classification: str = "",
    page: int = 1,
) -> Response:
    chosen = share_type if share_type in {s.value for s in ShareType} else None
    departments = dict(session.execute(select(Department.id, Department.name)).all())
    provider = int(department) if department.isdigit() and int(department) in departments else None
    classes = session.execute(
        select(Classification.code, Classification.name)
        .where(Classification.level <= 2)
        .order_by(Classification.code)
    ).all()
    chosen_class = classification if classification in {code for code, _ in classes} else None
    size = 20
    found = search(
        session,
        SearchQuery(text=q[:100], share_type=chosen, provider_department_id=provider,
                    classification=chosen_class, limit=size, offset=(max(page, 1) - 1) * size),
        actor,
    )  # fmt: skip
    return render(
        request, "catalog_search.html", q=q, share_type=chosen or "", result=found,
        departments=departments, labels=LABELS_ZH, page=max(page, 1), pages=-(-found.total // size),
        department=provider, classification=chosen_class or "", classes=classes,
    )  # fmt: skip


@router.get("/catalog/{classification}/{sequence}")
def resource_page(
    request: Request, classification: str, sequence: str, actor: PortalUser, session: DbSession,
    platform: AppPlatform,
) -> Response:  # fmt: skip
    resource = entries.visible_resource(session, f"{classification}/{sequence}", actor)
    if actor.user_id is not None:
        link = f"/catalog/{resource.code}"
        acknowledge(session, link=link, user_id=actor.user_id, now=platform.clock.now())
    version = entries.published_version(session, resource) or entries.working_version(
        session, resource
    )
    provider = session.get_one(Department, resource.provider_department_id)
    last_load = session.scalar(
        select(IngestRun)
        .where(IngestRun.resource_id == resource.id, IngestRun.status == RunStatus.SUCCEEDED)
        .order_by(IngestRun.id.desc())
        .limit(1)
    )
    own = actor.department_id == resource.provider_department_id
    working = entries.working_version(session, resource) if own else None
    contacts = [
        holder
        for _, holder in governance.current_administrators(session, resource.provider_department_id)
    ]
    shown = working or version
    draft = EntryDraft.model_validate(shown) if own and shown is not None else None
    history = _history(session, resource, shown, platform)
    return render(
        request, "resource.html", resource=resource, version=version, provider=provider,
        last_load=last_load, quality=session.get(DataStatus, resource.code), labels=LABELS_ZH,
        own=own, working=working, contacts=contacts,
        score=completeness(draft) if draft else None,
        gaps=completeness_gaps(draft) if draft else [],
        **chart_context(request, history, f"/catalog/{resource.code}/charts"),
    )  # fmt: skip


@router.get("/catalog/{classification}/{sequence}/charts")
def resource_charts_data(
    request: Request, classification: str, sequence: str, actor: PortalUser, session: DbSession,
    platform: AppPlatform,
) -> Response:  # fmt: skip
    """The figures the resource page's charts draw."""
    resource = entries.visible_resource(session, f"{classification}/{sequence}", actor)
    shown = entries.published_version(session, resource) or entries.working_version(
        session, resource
    )
    return charts_answer(request, _history(session, resource, shown, platform))


def _history(
    session: Session, resource: Resource, shown: ResourceVersion | None, platform: Platform
) -> list[Chart]:
    cycle = shown.update_cycle if shown is not None else None
    return resource_charts(session, resource, cycle, platform.settings.zone)
