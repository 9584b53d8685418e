"""Gated access over HTTP; another department's request is not there for a stranger."""

from fastapi.testclient import TestClient

from exchange.identity.roles import Role
from tests.catalog_fixtures import CatalogWorld
from tests.factories import make_department, make_token, make_user
from tests.scenarios.people import bearer
from tests.scenarios.requests import publish

BODY = {
    "items": ["legal_representative", "phone"],
    "purpose_code": "administrative_approval",
    "purpose": "核验企业法定代表人",
    "duty_basis": "《行政许可法》第三十四条",
    "mode": "api_query",
    "period_from": "2026-12-01",
    "period_to": "2027-11-30",
}


def test_request_review_dispute_and_grants_over_http(
    world: CatalogWorld, client: TestClient
) -> None:
    code = publish(world)
    consumer, reviewer = bearer(world, "consumer"), bearer(world, "data_reviewer")
    created = client.post(
        "/api/v1/access/requests", json={**BODY, "resource_code": code}, headers=consumer
    )
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]
    assert created.json()["state"] == "submitted"
    assert [
        r["id"]
        for r in client.get("/api/v1/access/requests?side=provider", headers=reviewer).json()
    ] == [request_id]

    own = client.post(
        f"/api/v1/access/requests/{request_id}/approve",
        json={},
        headers=bearer(world, "other_reviewer"),
    )
    assert own.status_code == 403
    narrowed = client.post(
        f"/api/v1/access/requests/{request_id}/approve",
        json={"items": ["legal_representative"], "note": "联系电话不予提供"},
        headers=reviewer,
    )
    assert narrowed.json()["approved_items"] == ["legal_representative"]
    again = client.post(
        f"/api/v1/access/requests/{request_id}/reject",
        json={"code": "other", "reason": "改为拒绝"},
        headers=reviewer,
    )
    assert again.status_code == 409
    assert again.json()["message"] == "cannot reject: the access request is approved"

    dispute = client.post(
        f"/api/v1/access/requests/{request_id}/disputes",
        json={"text": "审批需要联系电话"},
        headers=consumer,
    ).json()
    queue = client.get("/api/v1/access/disputes", headers=bearer(world, "coordinator")).json()
    assert [d["id"] for d in queue] == [dispute["id"]]
    ruled = client.post(
        f"/api/v1/access/disputes/{dispute['id']}/ruling",
        json={"grant_items": ["phone"], "note": "确有必要"},
        headers=bearer(world, "coordinator"),
    )
    assert ruled.json()["state"] == "granted"
    held = client.get("/api/v1/access/grants", headers=consumer).json()
    assert sorted((g["basis"], tuple(g["items"])) for g in held) == [
        ("approval", ("legal_representative",)),
        ("ruling", ("phone",)),
    ]
    steps = [
        s["action"]
        for s in client.get(
            f"/api/v1/access/requests/{request_id}/history", headers=consumer
        ).json()
    ]
    assert steps == ["submit", "approve"]


def test_a_stranger_cannot_open_a_request_by_url(world: CatalogWorld, client: TestClient) -> None:
    code = publish(world)
    request_id = client.post(
        "/api/v1/access/requests",
        json={**BODY, "resource_code": code},
        headers=bearer(world, "consumer"),
    ).json()["id"]
    with world.platform.database.transaction() as session:
        third = make_department(session, world.platform, name="市公安局")
        stranger = make_user(session, world.platform, third, Role.CONSUMER, Role.DATA_REVIEWER)
        headers = {"Authorization": f"Bearer {make_token(session, world.platform, stranger)}"}
    assert client.get(f"/api/v1/access/requests/{request_id}", headers=headers).status_code == 404
    assert (
        client.get(f"/api/v1/access/requests/{request_id}/history", headers=headers).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/access/requests/{request_id}/approve", json={}, headers=headers
        ).status_code
        == 404
    )


def test_not_shared_items_are_refused_with_the_law(world: CatalogWorld, client: TestClient) -> None:
    code = publish(world)
    response = client.post(
        "/api/v1/access/requests",
        json={**BODY, "resource_code": code, "items": ["id_number"]},
        headers=bearer(world, "consumer"),
    )
    assert response.status_code == 400
    assert response.json()["code"] == "not_shared"
    assert "个人信息保护法" in response.json()["message"]
    vocab = client.get("/api/v1/access/vocabularies", headers=bearer(world, "consumer")).json()
    assert vocab["Purpose"]["administrative_approval"] == "行政审批"
