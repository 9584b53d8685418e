"""The government cloud: a contracted provider with its catalog, a second provider, a unit whose
system provides a published catalog entry, and an application filed and taken along its way."""

from dataclasses import dataclass
from datetime import date

from cloud import applications, providers, trial, work_orders
from cloud.applications import ApplicationDraft, Line
from cloud.models import CloudApplication, WorkOrder
from cloud.providers import ServiceDraft
from cloud.vocab import ApprovalDocument, ResourceKind
from exchange.identity.models import Department, User
from exchange.identity.roles import DepartmentKind, Role
from exchange.identity.service import principal_for
from exchange.principal import Principal
from tests.catalog_fixtures import CatalogWorld, enterprise_register, publish_entry
from tests.factories import make_department, make_token, make_user

SERVICES = [
    ServiceDraft("ecs-vcpu", "云主机 vCPU", ResourceKind.VCPU, "核", 300, 400),
    ServiceDraft("ecs-mem", "云主机内存", ResourceKind.MEMORY_GB, "GB", 100, 120),
    ServiceDraft("ebs", "云硬盘", ResourceKind.STORAGE_GB, "GB", 5, 8),
    ServiceDraft("bw", "互联网带宽", ResourceKind.BANDWIDTH_MBPS, "Mbps", 2000, 2500),
]


@dataclass
class CloudWorld:
    catalog: CatalogWorld
    provider_id: int
    company: Department  # the provider's organisation
    rival_id: int  # another provider
    rival: Department
    entry: str  # a published entry of the unit (the catalog world's provider department)
    users: dict[str, Principal]
    user_ids: dict[str, int]

    def actor(self, name: str) -> Principal:
        return self.users[name]

    def bearer(self, name: str) -> dict[str, str]:
        platform = self.catalog.platform
        with platform.database.transaction() as session:
            user = session.get_one(User, self.user_ids[name])
            return {"Authorization": f"Bearer {make_token(session, platform, user)}"}


def cloud_world(world: CatalogWorld) -> CloudWorld:
    platform = world.platform
    entry = publish_entry(world, enterprise_register())
    with platform.database.transaction() as session:
        company = make_department(session, platform, "某云计算有限公司", DepartmentKind.ENTERPRISE)
        rival = make_department(session, platform, "另一云服务有限公司", DepartmentKind.ENTERPRISE)
        people = {
            "officer": make_user(session, platform, world.provider, Role.PROJECT_OFFICER),
            "other_officer": make_user(session, platform, world.consumer_department,
                                       Role.PROJECT_OFFICER),
            "cloud_reviewer": make_user(session, platform, world.bureau, Role.CLOUD_REVIEWER),
            "admin": make_user(session, platform, world.bureau, Role.BUREAU_ADMIN),
            "provider_staff": make_user(session, platform, company, Role.CLOUD_PROVIDER),
            "rival_staff": make_user(session, platform, rival, Role.CLOUD_PROVIDER),
        }  # fmt: skip
        users = {name: principal_for(user) for name, user in people.items()}
        now = platform.clock.now()
        ids = [
            providers.register_provider(
                session, actor=users["admin"], now=now, department_code=dept.code,
                contract_number=f"政务云-{dept.code[-4:]}", contract_from=date(2026, 1, 1),
                contract_to=date(2028, 12, 31), services=SERVICES,
            ).id
            for dept in (company, rival)
        ]  # fmt: skip
    user_ids = {name: user.id for name, user in people.items()}
    return CloudWorld(world, ids[0], company, ids[1], rival, entry, users, user_ids)


def draft(cloud: CloudWorld, **changes: object) -> ApplicationDraft:
    values: dict[str, object] = {
        "provider_id": cloud.provider_id,
        "system_name": "企业登记业务系统",
        "construction_plan": "迁移上云，双机热备。",
        "self_test_report": "功能、性能、安全自测通过。",
        "security_letter_signed_by": "张局长",
        "persons": {"负责人": "张三 13800000000"},
        "lines": [Line("ecs-vcpu", 8, 16), Line("ecs-mem", 32), Line("ebs", 500)],
        "approval_document": ApprovalDocument.MIGRATION_PLAN,
        "approval_reference": "企业登记业务系统迁移方案（2026年）",
        "sharing_connection": "通过共享平台接口提供企业登记信息",
        "mlps_level": 2,
        "provides": [cloud.entry],
    }
    values.update(changes)
    return ApplicationDraft(**values)  # type: ignore[arg-type]


def act(cloud: CloudWorld, who: str, function, **kwargs):  # type: ignore[no-untyped-def]
    platform = cloud.catalog.platform
    with platform.database.transaction() as session:
        return function(session, actor=cloud.actor(who),
                        env=platform.workflow_environment(session), **kwargs)  # fmt: skip


def filed(cloud: CloudWorld, **changes: object) -> int:
    application: CloudApplication = act(cloud, "officer", applications.apply,
                                        draft=draft(cloud, **changes))  # fmt: skip
    return application.id


def ordered(cloud: CloudWorld, **changes: object) -> tuple[int, int]:
    """An application accepted, approved and sent to the provider: (application, work order)."""
    application_id = filed(cloud, **changes)
    for action, reason in (("accept", ""), ("approve", "同意上云")):
        act(cloud, "cloud_reviewer", applications.decide, application_id=application_id,
            action=action, reason=reason)  # fmt: skip
    order: WorkOrder = act(cloud, "cloud_reviewer", work_orders.issue,
                           application_id=application_id)  # fmt: skip
    return application_id, order.id


def in_trial(cloud: CloudWorld, **changes: object) -> int:
    application_id, order_id = ordered(cloud, **changes)
    act(cloud, "provider_staff", work_orders.open_resources, order_id=order_id,
        resource_ids={"ecs": f"i-{order_id:04d}", "ebs": f"vol-{order_id:04d}"})  # fmt: skip
    return application_id


def in_production(cloud: CloudWorld, **changes: object) -> int:
    application_id = in_trial(cloud, **changes)
    act(cloud, "officer", trial.file_test, application_id=application_id, report="测试通过",
        third_party_report="第三方测评报告")  # fmt: skip
    act(cloud, "cloud_reviewer", trial.review_test, application_id=application_id, passed=True,
        note="通过")  # fmt: skip
    return application_id
