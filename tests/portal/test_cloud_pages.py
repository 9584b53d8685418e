"""The government cloud in the portal (R29-R33): a unit applies from the form, the bureau decides
and sends the work order, the provider opens it from its work-order page, the unit files its test
and rates the work; a provider's staff see only their work orders, the nav included."""

from fastapi.testclient import TestClient
from sqlalchemy import select

from cloud.models import CloudApplication, CloudIncident, CloudProvider, WorkOrder
from cloud.providers import services_of
from exchange.identity.roles import DepartmentKind, Role
from tests.catalog_fixtures import CatalogWorld
from tests.factories import make_department
from tests.scenarios.cloud import cloud_world
from tests.scenarios.people import sign_in


def test_r29_r33_an_application_goes_from_the_form_to_its_trial_in_the_portal(
    world: CatalogWorld, client: TestClient
) -> None:
    cloud = cloud_world(world)
    token = sign_in(client, world, world.provider, Role.PROJECT_OFFICER)
    page = client.get("/cloud")
    assert 'id="apply"' in page.text
    assert "某云计算有限公司" in page.text
    filed = client.post("/cloud", data={
        "csrf_token": token, "provider_id": str(cloud.provider_id), "system_name": "企业登记业务系统",
        "construction_plan": "迁移上云", "self_test_report": "自测通过",
        "security_letter_signed_by": "张局长", "responsible_person": "张三 13800000000",
        "service_0": "ecs-vcpu", "quantity_0": "8", "peak_0": "16", "service_1": "ebs",
        "quantity_1": "500", "approval_document": "migration_plan",
        "approval_reference": "迁移方案", "provides": cloud.entry, "uses": "",
        "sharing_connection": "共享平台接口", "mlps_level": "2",
    })  # fmt: skip
    assert filed.status_code == 200, filed.text
    assert "待审核" in filed.text
    with world.platform.database.transaction() as session:
        application = session.scalars(select(CloudApplication)).one()
    path = f"/cloud/applications/{application.id}"

    reviewer = sign_in(client, world, world.bureau, Role.CLOUD_REVIEWER)
    assert client.post(f"{path}/accept", data={"csrf_token": reviewer}).status_code == 200
    refused = client.post(f"{path}/approve", data={"csrf_token": reviewer, "reason": ""})
    assert "意见" in refused.text  # an approval gives its opinion
    client.post(f"{path}/approve", data={"csrf_token": reviewer, "reason": "同意上云"})
    ordered = client.post(f"{path}/order", data={"csrf_token": reviewer})
    assert "已派单" in ordered.text

    staff = sign_in(client, world, cloud.company, Role.CLOUD_PROVIDER)
    home = client.get("/")
    assert "/cloud/work-orders" in home.text
    assert 'href="/catalog"' not in home.text
    assert client.get("/catalog").status_code == 403
    assert client.get(path).status_code == 403
    orders = client.get("/cloud/work-orders")
    assert "企业登记业务系统" in orders.text
    assert "8 核" in orders.text
    with world.platform.database.transaction() as session:
        order = session.scalars(select(WorkOrder)).one()
    opened = client.post(f"/cloud/work-orders/{order.id}/open",
                         data={"csrf_token": staff, "record": "ecs=i-0001, ebs=vol-0001"})  # fmt: skip
    assert "i-0001" in opened.text

    unit = sign_in(client, world, world.provider, Role.PROJECT_OFFICER)
    trial = client.get(path)
    assert "试运行" in trial.text
    client.post(f"{path}/rate", data={"csrf_token": unit, "order_id": str(order.id),
                                      "satisfaction": "satisfied"})  # fmt: skip
    filed_test = client.post(f"{path}/test", data={"csrf_token": unit, "report": "测试通过"})
    assert "测试报告待审" in filed_test.text
    with world.platform.database.transaction() as session:
        assert session.get_one(WorkOrder, order.id).satisfaction == "satisfied"


def test_r32_r33_the_bureau_registers_a_provider_and_follows_it_in_the_portal(
    world: CatalogWorld, client: TestClient
) -> None:
    with world.platform.database.transaction() as session:
        company = make_department(
            session, world.platform, "新云科技有限公司", DepartmentKind.ENTERPRISE
        )
    admin = sign_in(client, world, world.bureau, Role.BUREAU_ADMIN)
    bad = client.post("/cloud/providers", data={
        "csrf_token": admin, "department_code": company.code, "contract_number": "合同-1",
        "contract_from": "2026-01-01", "contract_to": "2030-01-01",
        "services": "ecs-vcpu, 云主机 vCPU, vcpu, 核, 300, 400"})  # fmt: skip
    assert "3 年" in bad.text  # a contract runs at most 3 years: nothing registered
    registered = client.post("/cloud/providers", data={
        "csrf_token": admin, "department_code": company.code, "contract_number": "合同-1",
        "contract_from": "2026-01-01", "contract_to": "2028-12-31",
        "services": "ecs-vcpu, 云主机 vCPU, vcpu, 核, 300, 400\nebs, 云硬盘, storage_gb, GB, 5, 8"})  # fmt: skip
    assert "新云科技有限公司" in registered.text
    with world.platform.database.transaction() as session:
        provider = session.scalars(select(CloudProvider)).one()
        assert [s.code for s in services_of(session, provider.id)] == ["ebs", "ecs-vcpu"]
    early = client.post(f"/cloud/providers/{provider.id}/leaving",
                        data={"csrf_token": admin, "leaving_on": "2026-12-01"})  # fmt: skip
    assert "迁移过渡期" in early.text
    reviewer = sign_in(client, world, world.bureau, Role.CLOUD_REVIEWER)
    client.post(f"/cloud/providers/{provider.id}/incident", data={
        "csrf_token": reviewer, "occurred_on": "2026-11-20", "description": "存储故障 3 小时"})  # fmt: skip
    with world.platform.database.transaction() as session:
        assert session.scalars(select(CloudIncident.description)).one() == "存储故障 3 小时"
