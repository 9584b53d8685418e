"""Health, OpenAPI, identity administration, calendar, inbox and audit over HTTP."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from exchange.identity.service import get_user
from exchange.notifications.service import notify
from exchange.runtime import Platform
from tests.api.conftest import Callers
from tests.factories import department_code


def test_healthz_reports_the_database(client: TestClient, platform: Platform) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": platform.database.dialect}
    assert response.headers["x-request-id"]


def test_openapi_describes_every_route_with_error_bodies(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"] == "Government Data-Sharing Exchange"
    assert "/api/v1/audit/verify" in spec["paths"]
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["type"] == "http"
    create = spec["paths"]["/api/v1/departments"]["post"]
    assert create["summary"]
    assert create["responses"]["409"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "ErrorBody"
    )
    assert client.get("/docs").status_code == 200


def test_r21_the_system_administrator_keeps_accounts_and_the_security_administrator_roles(
    client: TestClient, callers: Callers
) -> None:
    code = department_code(901)
    created = client.post(
        "/api/v1/departments",
        json={"code": code, "name": "市民政局", "kind": "government"},
        headers=callers.system_admin.headers,
    )
    assert created.status_code == 201
    user = client.post(
        "/api/v1/users",
        json={
            "username": "mz.reviewer",
            "department_code": code,
            "roles": ["data_reviewer", "consumer"],
        },
        headers=callers.system_admin.headers,
    )
    assert user.status_code == 201
    assert user.json()["roles"] == ["consumer", "data_reviewer"]
    path = f"/api/v1/users/{user.json()['id']}/roles"
    not_his = client.put(path, json={"roles": ["catalog_reviewer"]},
                         headers=callers.system_admin.headers)  # fmt: skip
    assert not_his.status_code == 403
    roles = client.put(path, json={"roles": ["catalog_reviewer"]},
                       headers=callers.security_admin.headers)  # fmt: skip
    assert roles.json()["roles"] == ["catalog_reviewer"]
    assert client.post("/api/v1/departments", json={"code": department_code(902), "name": "某局"},
                       headers=callers.admin.headers).status_code == 403  # fmt: skip


def test_r21_no_person_holds_two_of_the_three_administrators(
    client: TestClient, callers: Callers, platform: Platform
) -> None:
    combined = client.put(
        f"/api/v1/users/{callers.registrar.user_id}/roles",
        json={"roles": ["system_admin", "security_admin"]},
        headers=callers.security_admin.headers,
    )
    assert combined.status_code == 409
    assert combined.json()["detail"]["rule"] == "separated_administrators"
    auditing_admin = client.put(
        f"/api/v1/users/{callers.system_admin.user_id}/roles",
        json={"roles": ["system_admin", "auditor"]},
        headers=callers.security_admin.headers,
    )
    assert auditing_admin.status_code == 409
    privileged = client.post(
        "/api/v1/users",
        json={"username": "x.admin", "department_code": callers.system_admin.department.code,
              "roles": ["security_admin"]},
        headers=callers.system_admin.headers,
    )  # fmt: skip
    assert privileged.status_code == 403  # privileges are the security administrator's to grant
    own = client.put(
        f"/api/v1/users/{callers.security_admin.user_id}/roles",
        json={"roles": ["security_admin", "catalog_reviewer"]},
        headers=callers.security_admin.headers,
    )
    assert own.status_code == 403

    # The auditor sees every administrator's acts, refused ones included; they see none of it
    # and cannot change it.
    seen = client.get("/api/v1/audit", params={"limit": 200}, headers=callers.auditor.headers)
    assert seen.status_code == 200
    acts = {r["actor"] for r in seen.json()["records"] if r["outcome"] != "allowed"}
    assert {callers.system_admin.username, callers.security_admin.username} <= acts
    for admin in (callers.system_admin, callers.security_admin):
        assert client.get("/api/v1/audit", headers=admin.headers).status_code == 403
    with pytest.raises(DBAPIError), platform.database.engine.begin() as connection:
        connection.execute(text("UPDATE audit_records SET outcome = 'allowed'"))


def test_a_department_sees_only_its_own_users(client: TestClient, callers: Callers) -> None:
    seen = {
        u["username"] for u in client.get("/api/v1/users", headers=callers.registrar.headers).json()
    }
    assert seen == {callers.registrar.username}
    everyone = {
        u["username"] for u in client.get("/api/v1/users", headers=callers.admin.headers).json()
    }
    assert everyone == {
        callers.admin.username,
        callers.auditor.username,
        callers.registrar.username,
        callers.system_admin.username,
        callers.security_admin.username,
    }


def test_only_the_bureau_changes_roles(client: TestClient, callers: Callers) -> None:
    response = client.put(
        f"/api/v1/users/{callers.registrar.user_id}/roles",
        json={"roles": ["bureau_admin"]},
        headers=callers.registrar.headers,
    )
    assert response.status_code == 403
    me = client.get("/api/v1/me", headers=callers.registrar.headers).json()
    assert me["roles"] == ["catalog_registrar"]


def test_calendar_import_and_deadline_preview(client: TestClient, callers: Callers) -> None:
    before = client.get(
        "/api/v1/calendar/deadline",
        params={"start": "2026-12-30T10:00:00+08:00", "days": 3},
        headers=callers.registrar.headers,
    ).json()
    assert (before["due_date"], before["provisional"]) == ("2027-01-04", True)
    csv = "date,type,name\n2027-01-01,holiday,元旦\n2027-02-06,workday,春节调休\n".encode()
    refused = client.post(
        "/api/v1/calendar/import",
        files={"file": ("2027.csv", csv, "text/csv")},
        headers=callers.registrar.headers,
    )
    assert refused.status_code == 403
    imported = client.post(
        "/api/v1/calendar/import",
        files={"file": ("2027.csv", csv, "text/csv")},
        headers=callers.admin.headers,
    )
    assert imported.status_code == 200
    assert imported.json() == {"years": [2027], "days": 2, "recomputed_deadlines": 0}
    after = client.get(
        "/api/v1/calendar/deadline",
        params={"start": "2026-12-30T10:00:00+08:00", "days": 3},
        headers=callers.registrar.headers,
    ).json()
    assert (after["due_date"], after["provisional"]) == ("2027-01-05", False)
    # R34: the same preview in elapsed hours and in months.
    hours = client.get(
        "/api/v1/calendar/deadline",
        params={"start": "2026-09-30T17:00:00+08:00", "span": "24h"},
        headers=callers.registrar.headers,
    ).json()
    assert (hours["span"], hours["due_at"]) == ("24h", "2026-10-01T17:00:00+08:00")
    both = client.get(
        "/api/v1/calendar/deadline",
        params={"start": "2026-09-30T17:00:00+08:00", "span": "6mo", "days": 3},
        headers=callers.registrar.headers,
    )
    assert both.status_code == 400
    beyond = client.get(
        "/api/v1/calendar/deadline",
        params={"start": "9999-12-31T10:00:00+08:00", "span": "6mo"},
        headers=callers.registrar.headers,
    )
    assert beyond.status_code == 400
    year = client.get("/api/v1/calendar/2027", headers=callers.registrar.headers).json()
    assert year["has_official_schedule"] is True
    assert {"date": "2027-02-06", "working": True} in year["special_days"]


def test_calendar_import_with_errors_changes_nothing(client: TestClient, callers: Callers) -> None:
    csv = "date,type,name\n2027-01-01,holiday,元旦\n2027-13-01,holiday,坏日期\n2027-01-05,workday,周二\n".encode()
    response = client.post(
        "/api/v1/calendar/import",
        files={"file": ("bad.csv", csv, "text/csv")},
        headers=callers.admin.headers,
    )
    assert response.status_code == 400
    assert response.json()["detail"] == [
        "line 3: date '2027-13-01' is not YYYY-MM-DD",
        "line 4: 2027-01-05 is a weekday; a make-up workday falls on a weekend",
    ]
    year = client.get("/api/v1/calendar/2027", headers=callers.admin.headers).json()
    assert year["has_official_schedule"] is False


def test_inbox_over_http(client: TestClient, platform: Platform, callers: Callers) -> None:
    with platform.database.transaction() as session:
        user = get_user(session, callers.registrar.user_id)
        notify(
            session,
            users=[user],
            kind="test",
            title="目录待更新",
            body="请更新",
            now=platform.clock.now(),
        )
    [item] = client.get("/api/v1/notifications", headers=callers.registrar.headers).json()
    assert item["title"] == "目录待更新"
    assert client.get("/api/v1/notifications", headers=callers.auditor.headers).json() == []
    assert (
        client.post(
            f"/api/v1/notifications/{item['id']}/read", headers=callers.auditor.headers
        ).status_code
        == 404
    )
    client.post(f"/api/v1/notifications/{item['id']}/read", headers=callers.registrar.headers)
    assert (
        client.get("/api/v1/notifications?unread=true", headers=callers.registrar.headers).json()
        == []
    )


def test_auditor_searches_and_verifies_the_log(
    client: TestClient, platform: Platform, callers: Callers
) -> None:
    assert client.get("/api/v1/audit", headers=callers.registrar.headers).status_code == 403
    page = client.get(
        "/api/v1/audit",
        params={"action": "user.create", "limit": 2},
        headers=callers.auditor.headers,
    ).json()
    assert [r["action"] for r in page["records"]] == ["user.create", "user.create"]
    assert page["next_before_seq"] is not None
    rest = client.get(
        "/api/v1/audit",
        params={"action": "user.create", "before_seq": page["next_before_seq"]},
        headers=callers.auditor.headers,
    ).json()
    assert len(rest["records"]) == 3  # five users made: two on the first page
    assert rest["next_before_seq"] is None
    status = client.get("/api/v1/audit/verify", headers=callers.auditor.headers).json()
    assert status["ok"] is True
    with platform.database.engine.begin() as connection:
        if platform.database.dialect == "postgresql":
            connection.execute(
                text("ALTER TABLE audit_records DISABLE TRIGGER audit_records_no_update")
            )
        else:
            connection.execute(text("DROP TRIGGER audit_records_no_update"))
        connection.execute(text("UPDATE audit_records SET actor = 'someone-else' WHERE seq = 2"))
    status = client.get("/api/v1/audit/verify", headers=callers.auditor.headers).json()
    assert (status["ok"], status["chain"], status["position"]) == (False, 1, 2)
