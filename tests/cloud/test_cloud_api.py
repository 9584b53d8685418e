"""The government cloud over HTTP (R29-R31, R33): a unit applies, the bureau decides and orders,
the provider opens, the unit rates; a provider's staff are refused every route outside their own
work orders, another provider's orders and prices included."""

from fastapi.testclient import TestClient

from tests.catalog_fixtures import CatalogWorld
from tests.scenarios.cloud import cloud_world, in_production

APPLICATION = {
    "system_name": "企业登记业务系统", "construction_plan": "迁移上云", "self_test_report": "自测通过",
    "security_letter_signed_by": "张局长", "persons": {"负责人": "张三"},
    "lines": [{"service_code": "ecs-vcpu", "quantity": 8, "elastic_peak": 16},
              {"service_code": "ebs", "quantity": 500}],
    "approval_document": "migration_plan", "approval_reference": "迁移方案（2026年）",
    "sharing_connection": "通过共享平台接口提供企业登记信息", "mlps_level": 2,
}  # fmt: skip


def test_r29_r30_r33_an_application_reaches_its_trial_through_the_api(
    world: CatalogWorld, client: TestClient
) -> None:
    cloud = cloud_world(world)
    officer, reviewer = cloud.bearer("officer"), cloud.bearer("cloud_reviewer")
    staff, rival = cloud.bearer("provider_staff"), cloud.bearer("rival_staff")
    body = {**APPLICATION, "provider_id": cloud.provider_id, "provides": [cloud.entry]}
    filed = client.post("/api/v1/cloud/applications", json=body, headers=officer)
    assert filed.status_code == 201, filed.text
    application = filed.json()["id"]
    assert client.post(f"/api/v1/cloud/applications/{application}/decision",
                       json={"action": "accept"}, headers=officer).status_code == 403  # fmt: skip
    for action, reason in (("accept", ""), ("approve", "同意上云")):
        decided = client.post(f"/api/v1/cloud/applications/{application}/decision",
                              json={"action": action, "reason": reason}, headers=reviewer)  # fmt: skip
        assert decided.status_code == 200, decided.text
    order = client.post(f"/api/v1/cloud/applications/{application}/work-order", headers=reviewer)
    assert order.status_code == 201, order.text
    order_id = order.json()["id"]

    assert [o["id"] for o in client.get("/api/v1/cloud/work-orders", headers=staff).json()] == [
        order_id
    ]
    assert client.get("/api/v1/cloud/work-orders", headers=rival).json() == []
    assert client.get(f"/api/v1/cloud/work-orders/{order_id}", headers=rival).status_code == 404
    stolen = client.post(f"/api/v1/cloud/work-orders/{order_id}/opening",
                         json={"resource_ids": {"ecs": "i-9"}}, headers=rival)  # fmt: skip
    assert stolen.status_code == 404
    opened = client.post(f"/api/v1/cloud/work-orders/{order_id}/opening",
                         json={"resource_ids": {"ecs": "i-0001", "ebs": "vol-1"}}, headers=staff)  # fmt: skip
    assert opened.status_code == 200, opened.text
    assert client.get(f"/api/v1/cloud/applications/{application}",
                      headers=officer).json()["state"] == "trial"  # fmt: skip
    rated = client.post(f"/api/v1/cloud/work-orders/{order_id}/rating",
                        json={"satisfaction": "very_satisfied"}, headers=officer)  # fmt: skip
    assert rated.json()["satisfaction"] == "very_satisfied"


def test_r33_a_providers_staff_are_refused_everything_outside_their_work_orders(
    world: CatalogWorld, client: TestClient
) -> None:
    cloud = cloud_world(world)
    staff = cloud.bearer("provider_staff")
    for method, path in (
        ("get", "/api/v1/catalog/search?q=企业"),
        ("get", f"/api/v1/catalog/entries/{cloud.entry}"),
        ("get", f"/api/v1/data/{cloud.entry}/rows?purpose=查看"),
        ("get", "/api/v1/access/requests"),
        ("get", "/api/v1/cloud/applications"),
        ("get", "/api/v1/projects"),
        ("get", "/api/v1/quality/issues"),
        ("get", "/api/v1/supervision/scorecards?period=2026-11"),
        ("post", "/api/v1/cloud/applications"),
    ):
        answer = client.request(method, path, headers=staff, json={})
        assert answer.status_code == 403, (path, answer.status_code)
        assert "work orders" in answer.json()["message"] or "工单" in answer.json()["message"]
    # Its own catalog, yes; a rival's prices, no.
    own = client.get(f"/api/v1/cloud/providers/{cloud.provider_id}/services", headers=staff)
    assert own.status_code == 200
    assert len(own.json()) == 4
    rival = client.get(f"/api/v1/cloud/providers/{cloud.rival_id}/services", headers=staff)
    assert rival.status_code == 404
    assert client.get("/api/v1/me", headers=staff).status_code == 200


def test_r32_a_change_and_an_exit_through_the_api(world: CatalogWorld, client: TestClient) -> None:
    cloud = cloud_world(world)
    application = in_production(cloud, mlps_level=2)
    officer, reviewer = cloud.bearer("officer"), cloud.bearer("cloud_reviewer")
    staff = cloud.bearer("provider_staff")
    base = f"/api/v1/cloud/applications/{application}"
    change = client.post(f"{base}/changes", headers=officer, json={
        "description": "扩容", "lines": [{"service_code": "ecs-vcpu", "quantity": 16}]})  # fmt: skip
    assert change.status_code == 201, change.text
    approved = client.post(f"/api/v1/cloud/changes/{change.json()['id']}/decision",
                           json={"approve": True, "reply": "同意"}, headers=reviewer)  # fmt: skip
    assert approved.json()["state"] == "approved"
    orders = client.get("/api/v1/cloud/work-orders", headers=staff).json()
    change_order = next(o for o in orders if o["kind"] == "change")
    done = client.post(f"/api/v1/cloud/work-orders/{change_order['id']}/change-done",
                       json={"resource_ids": {"ecs": "i-1"}}, headers=staff)  # fmt: skip
    assert done.json()["state"] == "done"

    leaving = client.post(f"{base}/exit", json={"description": "下线", "data_migrated": True},
                          headers=officer)  # fmt: skip
    exit_id = leaving.json()["id"]
    client.post(f"/api/v1/cloud/changes/{exit_id}/decision", json={"approve": True},
                headers=reviewer)  # fmt: skip
    reclaim = next(o for o in client.get("/api/v1/cloud/work-orders", headers=staff).json()
                   if o["kind"] == "reclaim")  # fmt: skip
    wiped = client.post(f"/api/v1/cloud/work-orders/{reclaim['id']}/wipe",
                        json={"certificate": "数据销毁证明"}, headers=staff)  # fmt: skip
    assert wiped.json()["wipe_certificate"] == "数据销毁证明"
    confirmed = client.post(f"/api/v1/cloud/changes/{exit_id}/confirmation", headers=officer)
    assert confirmed.json()["state"] == "done"
    assert client.get(base, headers=officer).json()["state"] == "exited"
