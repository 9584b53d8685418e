"""Utilisation (R33): each month, by the 5th, a provider reports the use of every resource it
runs. The report is an ordinary source of the platform: a catalog entry of the provider's data
and a file drop, ingested by the Airflow DAGs into the unified store and validated by the suite
generated from the entry, like any department's data. From it the bureau and each unit see idle
and over-provisioned resources with a suggested change and its yearly saving at the contracted
prices (as cloud cost tools rightsize); a report missing after the 5th is a provider finding."""

import math
import re
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import entries, lifecycle
from catalog.schemas import EntryDraft, ItemDraft
from cloud.models import (
    ApplicationLine,
    CloudApplication,
    CloudProvider,
    ProviderService,
    WorkOrder,
)
from cloud.providers import get_provider
from cloud.vocab import ResourceKind
from collection.sources import register_source
from exchange.actions import ACTIONS
from exchange.errors import InvalidInput
from exchange.identity.models import Department
from exchange.identity.roles import Role
from exchange.identity.visibility import Records, sees_all
from exchange.principal import Principal
from exchange.settings import Settings
from exchange.store import UnifiedStore
from exchange.workflow import WorkflowEnvironment

FOLDER, PATTERN = "utilisation", "*.csv"
METRICS = ("cpu_avg", "cpu_peak", "memory_avg", "memory_peak", "storage_used", "bandwidth_peak")
DAYS_A_YEAR = 365
MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")


def report_entry(provider_name: str) -> EntryDraft:
    """The catalog entry of a provider's monthly utilisation reports: one row per resource and
    month, each use a percentage."""

    def share(name: str, label: str) -> ItemDraft:
        return ItemDraft(name=name, label=label, data_type="decimal", length=5, precision=2,
                         required=True, share_type="conditional", share_condition="政务云监管")  # fmt: skip

    return EntryDraft(
        name=f"政务云资源使用情况月报（{provider_name}）", classification_code="301",
        abstract="云服务商每月报送的各项政务云资源的使用率，用于资源效率评估和费用结算。",
        update_cycle="monthly", format="spreadsheet", provision_method="file",
        items=[
            ItemDraft(name="month", label="报告月份", data_type="string", length=7, required=True,
                      is_key=True, share_type="conditional", share_condition="政务云监管"),
            ItemDraft(name="resource_id", label="资源标识", data_type="string", length=64,
                      required=True, is_key=True, share_type="conditional",
                      share_condition="政务云监管"),
            share("cpu_avg", "CPU 平均使用率"), share("cpu_peak", "CPU 峰值使用率"),
            share("memory_avg", "内存平均使用率"), share("memory_peak", "内存峰值使用率"),
            share("storage_used", "存储使用率"), share("bandwidth_peak", "带宽峰值使用率"),
        ],
    )  # fmt: skip


def connect_reports(
    session: Session,
    *,
    actor: Principal,
    env: WorkflowEnvironment,
    settings: Settings,
    provider_id: int,
) -> str:
    """Register and publish the provider's report entry and its file drop (``utilisation/*.csv``
    in the provider's drop folder), once; the DAGs collect it from then on. The bureau sets it
    up: its person acts for the provider here (and is recorded as doing so), since a provider's
    staff do nothing on the platform but their work orders."""
    ACTIONS.require(actor, "other", "cloud_provider", "register",
                    explain="the bureau's administrators connect a provider's reports")  # fmt: skip
    provider = get_provider(session, provider_id)
    if provider.utilisation_resource:
        return provider.utilisation_resource
    department = session.get_one(Department, provider.department_id)
    acting = replace(actor, department_id=department.id, department_code=department.code,
                     roles=frozenset({Role.CATALOG_REGISTRAR, Role.CATALOG_REVIEWER,
                                      Role.DATA_RESOURCE_ADMIN}))  # fmt: skip
    code = entries.create_entry(session, actor=acting, now=env.now,
                                draft=report_entry(department.name)).resource.code  # fmt: skip
    lifecycle.submit(session, actor=acting, env=env, code=code)
    # The entry is the platform's own standard form, not a person's draft: the platform
    # publishes it (R1's second pair of eyes is for what people write).
    platform = replace(Principal.system("cloud"), department_id=department.id,
                       department_code=department.code)  # fmt: skip
    lifecycle.approve(session, actor=platform, env=env, code=code)
    register_source(session, actor=acting, now=env.now, settings=settings, code=code, kind="file",
                    config={"folder": FOLDER, "pattern": PATTERN}, secret={})  # fmt: skip
    provider.utilisation_resource = code
    return code


@dataclass(frozen=True)
class Finding:
    application_id: int
    system: str
    unit: str
    resource_id: str
    verdict: str  # idle or over_provisioned
    cpu_avg: float
    cpu_peak: float
    memory_peak: float
    suggestion: str  # e.g. "vCPU 16 → 4" or "release"
    yearly_saving_yuan: float


def rightsizing(
    session: Session, *, actor: Principal, settings: Settings, month: str
) -> list[Finding]:
    """Idle and over-provisioned resources of ``month``, from the providers' ingested reports;
    a unit sees its own systems', the bureau everyone's."""
    if not MONTH.fullmatch(month):  # it goes into a scan filter: digits and a dash only
        raise InvalidInput("a month is written 2026-10", detail={"field": "month"})
    store = UnifiedStore(settings)
    names = dict(session.execute(select(Department.id, Department.name)).all())
    findings: list[Finding] = []
    for provider in session.scalars(select(CloudProvider).where(
            CloudProvider.utilisation_resource.is_not(None))):  # fmt: skip
        assert provider.utilisation_resource is not None
        try:
            table = store.scan(provider.utilisation_resource, row_filter=f"month == '{month}'")
        except LookupError:
            continue  # nothing collected yet
        where = _resources_of(session, provider.id)
        for row in table.to_pylist():
            found = where.get(str(row["resource_id"]))
            if found is None:
                continue
            application = found
            if not (
                sees_all(actor, Records.CLOUD) or actor.department_id == application.department_id
            ):
                continue
            finding = _judge(session, settings, application, row, names)
            if finding is not None:
                findings.append(finding)
    return findings


def _resources_of(session: Session, provider_id: int) -> dict[str, CloudApplication]:
    """Each resource identifier the provider recorded on a work order → its application."""
    found: dict[str, CloudApplication] = {}
    for order, application in session.execute(
        select(WorkOrder, CloudApplication)
        .join(CloudApplication, CloudApplication.id == WorkOrder.application_id)
        .where(WorkOrder.provider_id == provider_id, WorkOrder.resource_ids.is_not(None))
    ):
        for identifier in (order.resource_ids or {}).values():
            found[str(identifier)] = application
    return found


def _judge(
    session: Session, settings: Settings, application: CloudApplication,
    row: dict[str, object], names: dict[int, str],
) -> Finding | None:  # fmt: skip
    cpu_avg, cpu_peak = float(row["cpu_avg"]), float(row["cpu_peak"])  # type: ignore[arg-type]
    memory_peak = float(row["memory_peak"])  # type: ignore[arg-type]
    held = session.execute(
        select(ApplicationLine, ProviderService)
        .join(ProviderService, ProviderService.id == ApplicationLine.service_id)
        .where(ApplicationLine.application_id == application.id,
               ApplicationLine.held_from.is_not(None), ApplicationLine.held_to.is_(None))
    ).all()  # fmt: skip

    def yearly(quantity: int, service: ProviderService) -> float:
        return (
            quantity
            * min(service.price_per_day_fen, service.ceiling_per_day_fen)
            * DAYS_A_YEAR
            / 100
        )

    if cpu_avg < settings.cloud_idle_cpu_percent:
        saving = sum(yearly(line.quantity, service) for line, service in held)
        return Finding(application.id, application.system_name, names[application.department_id],
                       str(row["resource_id"]), "idle", cpu_avg, cpu_peak, memory_peak,
                       "release", round(saving, 2))  # fmt: skip
    suggestions, saving = [], 0.0
    for line, service in held:
        peak = {ResourceKind.VCPU: cpu_peak, ResourceKind.MEMORY_GB: memory_peak}.get(
            ResourceKind(service.kind))  # fmt: skip
        if peak is None or peak >= settings.cloud_overprovisioned_percent:
            continue
        sized = max(1, math.ceil(line.quantity * peak / settings.cloud_target_percent))
        if sized < line.quantity:
            suggestions.append(f"{service.name} {line.quantity} → {sized}")
            saving += yearly(line.quantity - sized, service)
    if not suggestions:
        return None
    return Finding(application.id, application.system_name, names[application.department_id],
                   str(row["resource_id"]), "over_provisioned", cpu_avg, cpu_peak, memory_peak,
                   "; ".join(suggestions), round(saving, 2))  # fmt: skip


def late_reports(session: Session, *, settings: Settings, now: datetime) -> list[tuple[int, str]]:
    """(provider, month) of every monthly report still missing after the 5th (R33)."""
    today = now.astimezone(settings.zone).date()
    first = date(today.year, today.month, 1)
    due_month = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    if today.day <= 5:
        return []
    month = f"{due_month:%Y-%m}"
    store = UnifiedStore(settings)
    late = []
    for provider in session.scalars(select(CloudProvider).order_by(CloudProvider.id)):
        if provider.contract_from > due_month.replace(day=28):
            continue  # not under contract that month
        rows = 0
        if provider.utilisation_resource:
            try:
                rows = store.scan(provider.utilisation_resource,
                                  row_filter=f"month == '{month}'", columns=("month",)).num_rows  # fmt: skip
            except LookupError:
                rows = 0
        if rows == 0:
            late.append((provider.id, month))
    return late
