"""The demonstration government cloud, through the same services as everything else: one
contracted provider with its catalog, and applications at different stages — one in production,
one in its trial, one whose work order waits for the provider, one waiting for acceptance."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Resource
from catalog.vocab import ResourceStatus
from cloud import applications, providers, trial, utilisation, work_orders
from cloud.applications import ApplicationDraft, Line
from cloud.models import CloudApplication, CloudProvider, WorkOrder
from cloud.providers import ServiceDraft
from cloud.vocab import ApprovalDocument, ResourceKind
from exchange.demo import demo_code, demo_person
from exchange.identity.roles import DepartmentKind
from exchange.runtime import Platform
from exchange.workdays.spans import add_months

SERVICES = (
    ServiceDraft("ecs-vcpu", "云主机 vCPU", ResourceKind.VCPU, "核", 300, 400),
    ServiceDraft("ecs-mem", "云主机内存", ResourceKind.MEMORY_GB, "GB", 100, 120),
    ServiceDraft("ebs", "云硬盘", ResourceKind.STORAGE_GB, "GB", 5, 8),
    ServiceDraft("bw", "互联网带宽", ResourceKind.BANDWIDTH_MBPS, "Mbps", 2000, 2500),
)


@dataclass(frozen=True)
class DemoSystem:
    department: str
    name: str
    stage: str  # production, trial, ordered, submitted


DEMO_SYSTEMS = (
    DemoSystem("scjg", "企业登记业务系统", "production"),
    DemoSystem("rs", "社会保险经办系统", "trial"),
    DemoSystem("sw", "电子税务局", "ordered"),
    DemoSystem("mz", "智慧养老服务平台", "submitted"),
)


def _entry(session: Session, department_id: int | None) -> list[str]:
    code = session.scalar(
        select(Resource.code)
        .where(Resource.provider_department_id == department_id,
               Resource.status == ResourceStatus.PUBLISHED)
        .order_by(Resource.code)
    )  # fmt: skip
    return [code] if code else []


def seed_cloud(platform: Platform) -> list[tuple[str, str]]:
    """Seed the demo cloud once; returns each system's name and state."""
    with platform.database.transaction() as session:
        if session.scalar(select(CloudProvider.id)) is not None:
            return []
        now = platform.clock.now()
        provider = providers.register_provider(
            session, actor=demo_person(session, "dsj.bureau_admin"), now=now,
            department_code=demo_code(10, DepartmentKind.ENTERPRISE),
            contract_number="政务云服务合同（2026-2028）", contract_from=date(2026, 1, 1),
            contract_to=date(2028, 12, 31), services=list(SERVICES),
        )  # fmt: skip
        provider_id = provider.id
    made = []
    for system in DEMO_SYSTEMS:
        with platform.database.transaction() as session:
            made.append((system.name, _take_along(session, platform, provider_id, system)))
    _report_three_months(platform, provider_id)
    return made


def _report_three_months(platform: Platform, provider_id: int) -> None:
    """The provider's utilisation reports of the last three months, dropped and collected: the
    system in production busy, the one in trial barely used (R33)."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    from collection.ingest import ingest
    from collection.models import Source

    with platform.database.transaction() as session:
        provider = session.get_one(CloudProvider, provider_id)
        folder = (platform.settings.resolved_drop_root
                  / demo_code(10, DepartmentKind.ENTERPRISE) / utilisation.FOLDER)  # fmt: skip
        opened = session.execute(
            select(WorkOrder, CloudApplication)
            .join(CloudApplication, CloudApplication.id == WorkOrder.application_id)
            .where(WorkOrder.provider_id == provider.id, WorkOrder.resource_ids.is_not(None))
        ).all()  # fmt: skip
        today = platform.clock.now().astimezone(platform.settings.zone).date()
        folder.mkdir(parents=True, exist_ok=True)
        for back in (3, 2, 1):
            month = f"{add_months(today.replace(day=1), -back):%Y-%m}"
            rows = [{"month": month, "resource_id": identifier,
                     "cpu_avg": 3.0 if application.state == "trial" else 38.0,
                     "cpu_peak": 12.0 if application.state == "trial" else 81.0,
                     "memory_avg": 22.0, "memory_peak": 25.0, "storage_used": 46.0,
                     "bandwidth_peak": 18.0}
                    for order, application in opened
                    for identifier in (order.resource_ids or {}).values()]  # fmt: skip
            pa_csv.write_csv(pa.Table.from_pylist(rows), folder / f"{month}.csv")
        code = utilisation.connect_reports(session, actor=demo_person(session, "dsj.bureau_admin"),
                                           env=platform.workflow_environment(session),
                                           settings=platform.settings, provider_id=provider.id)  # fmt: skip
        source_id = session.scalars(select(Source.id).join(Resource, Resource.id == Source.resource_id)
                                    .where(Resource.code == code)).one()  # fmt: skip
    ingest(platform, source_id=source_id, run_key="demo-utilisation")


def _take_along(session: Session, platform: Platform, provider_id: int, system: DemoSystem) -> str:
    env = platform.workflow_environment(session)
    officer = demo_person(session, f"{system.department}.project_officer")
    reviewer = demo_person(session, "dsj.cloud_reviewer")
    application = applications.apply(session, actor=officer, env=env, draft=ApplicationDraft(
        provider_id=provider_id, system_name=system.name, construction_plan="整体迁移上云，双机热备",
        self_test_report="功能、性能、安全自测通过", security_letter_signed_by="单位主要负责人",
        persons={"负责人": "系统负责人"},
        lines=[Line("ecs-vcpu", 16, 32), Line("ecs-mem", 64), Line("ebs", 2000), Line("bw", 20)],
        approval_document=ApprovalDocument.MIGRATION_PLAN, approval_reference=f"{system.name}迁移方案",
        sharing_connection="通过共享平台接口提供和使用数据", mlps_level=2,
        provides=_entry(session, officer.department_id),
    ))  # fmt: skip
    if system.stage == "submitted":
        return application.state
    for action, reason in (("accept", ""), ("approve", "同意上云")):
        applications.decide(session, actor=reviewer, env=env, application_id=application.id,
                            action=action, reason=reason)  # fmt: skip
    order = work_orders.issue(session, actor=reviewer, env=env, application_id=application.id)
    if system.stage == "ordered":
        return application.state
    work_orders.open_resources(session, actor=demo_person(session, "yun.cloud_provider"), env=env,
                               order_id=order.id,
                               resource_ids={"ecs": f"ecs-{order.id:04d}", "ebs": f"vol-{order.id:04d}"})  # fmt: skip
    if system.stage == "trial":
        return application.state
    trial.file_test(session, actor=officer, env=env, application_id=application.id,
                    report="试运行测试：功能、性能、安全均通过")  # fmt: skip
    trial.review_test(session, actor=reviewer, env=env, application_id=application.id,
                      passed=True, note="测试通过，转入正式运行")  # fmt: skip
    return application.state
