"""One error body shape ({code, message, detail}) for every failure status."""

from fastapi.testclient import TestClient

from exchange.runtime import Platform
from tests.api.conftest import Callers
from tests.factories import department_code


def assert_error_body(body: dict[str, object], code: str) -> None:
    assert set(body) == {"code", "message", "detail"}
    assert body["code"] == code
    assert isinstance(body["message"], str)
    assert body["message"]


def test_400_names_the_field(client: TestClient, callers: Callers) -> None:
    response = client.post(
        "/api/v1/departments",
        json={"code": "123", "name": "某局"},
        headers=callers.system_admin.headers,
    )
    assert response.status_code == 400
    assert_error_body(response.json(), "invalid_input")
    assert response.json()["detail"] == {"field": "code"}


def test_401(client: TestClient) -> None:
    response = client.get("/api/v1/departments")
    assert response.status_code == 401
    assert_error_body(response.json(), "unauthenticated")


def test_403_is_audited_with_the_caller(
    client: TestClient, platform: Platform, callers: Callers
) -> None:
    response = client.post(
        "/api/v1/departments",
        json={"code": department_code(900), "name": "新局"},
        headers=callers.registrar.headers,
    )
    assert response.status_code == 403
    assert_error_body(response.json(), "forbidden")
    audit = client.get(
        "/api/v1/audit", params={"outcome": "denied"}, headers=callers.auditor.headers
    ).json()
    [denial] = audit["records"]
    assert denial["actor"] == callers.registrar.username
    assert denial["action"] == "POST /api/v1/departments"


def test_404_for_unknown_things_and_routes(client: TestClient, callers: Callers) -> None:
    response = client.get(
        "/api/v1/departments/110000000000000000", headers=callers.system_admin.headers
    )
    assert response.status_code == 404
    assert_error_body(response.json(), "not_found")
    assert_error_body(client.get("/api/v1/nothing-here").json(), "not_found")


def test_409_on_a_duplicate(client: TestClient, callers: Callers) -> None:
    body = {"code": callers.system_admin.department.code, "name": "重复的局"}
    response = client.post("/api/v1/departments", json=body, headers=callers.system_admin.headers)
    assert response.status_code == 409
    assert_error_body(response.json(), "conflict")


def test_413_for_a_body_over_the_limit(
    client: TestClient, platform: Platform, callers: Callers
) -> None:
    big = b"x" * (platform.settings.max_request_bytes + 1)
    response = client.post(
        "/api/v1/departments",
        content=big,
        headers={**callers.system_admin.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert_error_body(response.json(), "too_large")


def test_413_when_streaming_without_a_length(
    client: TestClient, platform: Platform, callers: Callers
) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(11):
            yield b"x" * (1024 * 1024)

    response = client.post(
        "/api/v1/departments",
        content=chunks(),
        headers={**callers.system_admin.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 413


def test_422_lists_each_problem(client: TestClient, callers: Callers) -> None:
    response = client.post(
        "/api/v1/users", json={"username": "x"}, headers=callers.system_admin.headers
    )
    assert response.status_code == 422
    body = response.json()
    assert_error_body(body, "validation_failed")
    fields = {problem["field"] for problem in body["detail"]}
    assert {"body.username", "body.department_code", "body.roles"} <= fields
