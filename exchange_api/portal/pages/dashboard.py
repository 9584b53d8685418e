"""The bureau's dashboard and the data-flow map: charts over tables of the same figures, and the
grants behind each flow."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from catalog.models import Resource
from exchange.errors import NotFound
from exchange.identity.models import Department
from exchange.identity.visibility import Records, sees_all
from exchange_api.deps import AppPlatform, DbSession
from exchange_api.portal.web import PortalUser, language, render
from policies.models import Grant
from policies.vocab import LABELS_ZH
from supervision import dashboard
from supervision.models import UsageStatement

router = APIRouter(include_in_schema=False)


def _figures(
    request: Request, actor: PortalUser, session: DbSession, platform: AppPlatform,
    first: str, last: str, department_id: str,
) -> dict[str, Any]:  # fmt: skip
    return dashboard.as_json(
        session, platform, actor, language(request), first=first, last=last,
        department_id=int(department_id) if department_id.isdigit() else None,
    )  # fmt: skip


@router.get("/supervision/dashboard")
def dashboard_page(
    request: Request, actor: PortalUser, session: DbSession, platform: AppPlatform,
    first: str = "", last: str = "", department_id: str = "",
) -> Response:  # fmt: skip
    figures = _figures(request, actor, session, platform, first, last, department_id)
    chooses = sees_all(actor, Records.SUPERVISION)
    departments = (
        session.execute(select(Department.id, Department.name).order_by(Department.name)).all()
        if chooses
        else []
    )
    query = request.url.query
    return render(request, "dashboard.html", figures=figures, departments=departments,
                  chooses_department=chooses,
                  source="/supervision/dashboard.json" + (f"?{query}" if query else ""))  # fmt: skip


@router.get("/supervision/dashboard.json")
def dashboard_data(
    request: Request, actor: PortalUser, session: DbSession, platform: AppPlatform,
    first: str = "", last: str = "", department_id: str = "",
) -> Response:  # fmt: skip
    """What the page's charts draw: exactly the figures its tables show."""
    figures = _figures(request, actor, session, platform, first, last, department_id)
    return JSONResponse(figures)


@router.get("/supervision/flows/{provider_id}/{consumer_id}")
def flow_page(
    request: Request, provider_id: int, consumer_id: int, actor: PortalUser,
    session: DbSession, platform: AppPlatform, first: str = "", last: str = "",
) -> Response:  # fmt: skip
    """One flow of the map: the grants it went through, their rows, and their usage statements."""
    shown = dashboard.window(actor, zone=platform.settings.zone, now=platform.clock.now(),
                             first=first, last=last)  # fmt: skip
    if shown.department_id is not None and shown.department_id not in (provider_id, consumer_id):
        raise NotFound("no flow of your department between {provider} and {consumer}",
                       provider=provider_id, consumer=consumer_id)  # fmt: skip
    names = dict(session.execute(select(Department.id, Department.name)).all())
    used = dashboard.flow_grants(session, shown, provider_id, consumer_id)
    grants = {
        grant.id: (grant, code)
        for grant, code in session.execute(
            select(Grant, Resource.code)
            .join(Resource, Resource.id == Grant.resource_id)
            .where(Grant.id.in_([grant_id for grant_id, _, _ in used]))
        )
    }
    statements = session.scalars(
        select(UsageStatement).where(UsageStatement.grant_id.in_(list(grants)))
        .order_by(UsageStatement.period.desc())
    ).all()  # fmt: skip
    return render(request, "flow.html", shown=shown, used=used, grants=grants,
                  statements=statements, labels=LABELS_ZH, provider=names.get(provider_id, provider_id),
                  consumer=names.get(consumer_id, consumer_id))  # fmt: skip
