"""The cloud assessments (R33), beside the department scorecards: units on the share of their
systems on the cloud, resource efficiency, security (MLPS assessments on time) and data sharing
(their scorecard); providers on response time (work orders done within their limits),
satisfaction as the units rated it, and quality (incidents the bureau recorded)."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.models import (
    CHANGE_DONE,
    MLPS,
    PROVISIONING,
    RECLAIM,
    CloudApplication,
    CloudIncident,
    CloudProvider,
    WorkOrder,
)
from cloud.utilisation import rightsizing
from cloud.vocab import ApplicationState, Satisfaction
from exchange.i18n import Message
from exchange.identity.models import Department
from exchange.principal import Principal
from exchange.settings import Settings
from exchange.spreadsheets import csv_document
from exchange.workdays.spans import add_months
from projects.models import Project
from projects.vocab import ProjectState
from supervision.scorecards import deadlines_on_time, figures, period_bounds

ON_CLOUD = frozenset({ApplicationState.TRIAL, ApplicationState.TEST_FILED,
                      ApplicationState.RECTIFYING, ApplicationState.PRODUCTION})  # fmt: skip
SCORES = {Satisfaction.DISSATISFIED: 1, Satisfaction.FAIRLY_SATISFIED: 2,
          Satisfaction.SATISFIED: 3, Satisfaction.VERY_SATISFIED: 4}  # fmt: skip


@dataclass(frozen=True)
class UnitAssessment:
    department: str
    systems_on_cloud: int
    cloud_share: float | None  # of its systems (on the cloud, or accepted projects not on it)
    resource_efficiency: float | None  # resources not flagged idle or over-provisioned
    mlps_on_time: float | None
    data_sharing: float | None  # the department scorecard's overall figure


@dataclass(frozen=True)
class ProviderAssessment:
    provider: str
    work_orders_on_time: float | None
    work_orders_counted: int
    satisfaction: float | None  # mean rating: 1 不满意 … 4 非常满意
    ratings: int
    incidents: int


def _share(hits: int, total: int) -> float | None:
    return None if total == 0 else round(hits / total, 4)


def assess(
    session: Session, *, period: str, settings: Settings, now: datetime
) -> tuple[list[UnitAssessment], list[ProviderAssessment]]:
    zone: ZoneInfo = settings.zone
    start, end = period_bounds(period, zone)
    as_of = min(end, now)
    # The last month whose report was due by then: efficiency is judged on it.
    previous = add_months(as_of.astimezone(zone).date().replace(day=1), -1)
    reported = f"{previous.year:04d}-{previous.month:02d}"
    flagged: dict[int, int] = {}
    for finding in rightsizing(session, actor=Principal.system("assessment"), settings=settings,
                               month=reported):  # fmt: skip
        application = session.get_one(CloudApplication, finding.application_id)
        flagged[application.department_id] = flagged.get(application.department_id, 0) + 1
    names = dict(session.execute(select(Department.id, Department.name)).all())
    units = []
    for department_id in sorted(set(session.scalars(select(CloudApplication.department_id)))):
        on_cloud = [a for a in session.scalars(select(CloudApplication).where(
            CloudApplication.department_id == department_id)) if a.state in ON_CLOUD]  # fmt: skip
        linked = {a.project_id for a in on_cloud if a.project_id is not None}
        elsewhere = session.scalar(select(func.count()).select_from(Project).where(
            Project.department_id == department_id, Project.state == ProjectState.ACCEPTED,
            Project.id.not_in(linked or {-1})))  # fmt: skip
        resources = sum(len(o.resource_ids or {}) for o in session.scalars(select(WorkOrder).where(
            WorkOrder.unit_department_id == department_id, WorkOrder.kind == "open")))  # fmt: skip
        mlps, _ = deadlines_on_time(session, MLPS, department_id, start, end, as_of)
        units.append(UnitAssessment(
            names[department_id], len(on_cloud),
            _share(len(on_cloud), len(on_cloud) + int(elsewhere or 0)),
            _share(resources - flagged.get(department_id, 0), resources), mlps,
            figures(session, department_id, start, end, now).overall,
        ))  # fmt: skip
    providers = []
    for provider in session.scalars(select(CloudProvider).order_by(CloudProvider.id)):
        met = counted = 0
        for kind in (PROVISIONING, CHANGE_DONE, RECLAIM):
            share, total = deadlines_on_time(
                session, kind, provider.department_id, start, end, as_of
            )
            met += round((share or 0) * total)
            counted += total
        ratings = [SCORES[Satisfaction(str(o.satisfaction))] for o in session.scalars(select(WorkOrder).where(
            WorkOrder.provider_id == provider.id, WorkOrder.satisfaction.is_not(None),
            WorkOrder.rated_at >= start, WorkOrder.rated_at < end))]  # fmt: skip
        incidents = session.scalar(select(func.count()).select_from(CloudIncident).where(
            CloudIncident.provider_id == provider.id,
            CloudIncident.recorded_at >= start, CloudIncident.recorded_at < end))  # fmt: skip
        providers.append(ProviderAssessment(
            names[provider.department_id], _share(met, counted), counted,
            round(sum(ratings) / len(ratings), 2) if ratings else None, len(ratings),
            int(incidents or 0),
        ))  # fmt: skip
    return units, providers


HEADER = ("assessed", "name", "systems_on_cloud", "cloud_share", "resource_efficiency",
          "mlps_on_time", "data_sharing", "work_orders_on_time", "satisfaction", "incidents")  # fmt: skip
LABELS = {
    "assessed": Message("Assessed"), "name": Message("Name"),
    "systems_on_cloud": Message("Systems on the cloud"), "cloud_share": Message("Share on the cloud"),
    "resource_efficiency": Message("Resource efficiency"), "mlps_on_time": Message("MLPS on time"),
    "data_sharing": Message("Data sharing"), "work_orders_on_time": Message("Work orders on time"),
    "satisfaction": Message("Satisfaction (1-4)"), "incidents": Message("Incidents"),
}  # fmt: skip


def to_csv(
    units: list[UnitAssessment], providers: list[ProviderAssessment], language: str
) -> bytes:
    """Units and providers, one row each, the empty cells where a figure is not theirs."""
    unit, provider = (
        Message("Department").in_language(language),
        Message("Cloud provider").in_language(language),
    )
    rows: list[list[object]] = [
        [unit, u.department, u.systems_on_cloud, u.cloud_share, u.resource_efficiency,
         u.mlps_on_time, u.data_sharing, "", "", ""] for u in units
    ]  # fmt: skip
    rows += [
        [provider, p.provider, "", "", "", "", "", p.work_orders_on_time, p.satisfaction,
         p.incidents] for p in providers
    ]  # fmt: skip
    return csv_document([LABELS[c].in_language(language) for c in HEADER],
                        [["" if v is None else v for v in row] for row in rows])  # fmt: skip
