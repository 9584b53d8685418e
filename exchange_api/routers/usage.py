"""Usage of shared data over HTTP (R17): providers see who used their resources, consumers see and
report their own use."""

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from exchange_api.deps import AppPlatform, CurrentPrincipal, DbSession
from exchange_api.errors import ERROR_RESPONSES
from policies import usage as usage_service

router = APIRouter(prefix="/api/v1/access", tags=["access"], responses=ERROR_RESPONSES)


class UsagePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    resource_code: str
    provider: str
    consumer: str
    items: list[str]
    purpose: str
    basis: str
    mode: str
    grant_id: int | None
    rows: int = Field(description="Rows served; for a verification, records verified.")
    access: str = Field(description="read, masked (some items served masked) or verify")


class UseReportCreate(BaseModel):
    period_from: date
    period_to: date
    uses: int = Field(ge=0, description="How many times the data was used in the period.")
    outcome: str = Field(min_length=2, examples=["核验法定代表人 120 次，发现不一致 3 条"])


class UseReportPublic(UseReportCreate):
    model_config = ConfigDict(from_attributes=True)

    id: int
    grant_id: int
    reported_at: datetime


@router.get("/usage", summary="Who read which data, why and how much (R17)")
def list_usage(
    actor: CurrentPrincipal,
    session: DbSession,
    side: Annotated[
        usage_service.Side,
        Query(description="provider: use of your department's data; consumer: your own use."),
    ] = "provider",
    resource_code: str | None = None,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[UsagePublic]:
    rows = usage_service.usage(
        session, actor=actor, side=side, resource_code=resource_code, since=since, limit=limit
    )
    return [UsagePublic.model_validate(row) for row in rows]


@router.post(
    "/grants/{grant_id}/use-reports",
    status_code=status.HTTP_201_CREATED,
    summary="Report back how data received under a grant was used (R17)",
)
def report_use(
    grant_id: int,
    body: UseReportCreate,
    actor: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
) -> UseReportPublic:
    report = usage_service.report_use(
        session,
        actor=actor,
        now=platform.clock.now(),
        grant_id=grant_id,
        period_from=body.period_from,
        period_to=body.period_to,
        uses=body.uses,
        outcome=body.outcome,
    )
    return UseReportPublic.model_validate(report)


@router.get("/grants/{grant_id}/use-reports", summary="A grant's use reports")
def list_use_reports(
    grant_id: int, actor: CurrentPrincipal, session: DbSession
) -> list[UseReportPublic]:
    found = usage_service.reports_for(session, actor=actor, grant_id=grant_id)
    return [UseReportPublic.model_validate(r) for r in found]
