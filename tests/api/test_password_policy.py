"""R21 (MLPS level 3, 口令复杂度): a password is long, of three kinds of character at least, and
not the user name; a refused one names the rule it broke and creates nobody."""

from fastapi.testclient import TestClient

from tests.api.conftest import Callers


def test_r21_weak_passwords_are_refused_by_the_rule_they_break(
    client: TestClient, callers: Callers
) -> None:
    def create(username: str, password: str) -> tuple[int, dict[str, object]]:
        answer = client.post(
            "/api/v1/users",
            json={"username": username, "department_code": callers.system_admin.department.code,
                  "roles": ["consumer"], "password": password},
            headers=callers.system_admin.headers,
        )  # fmt: skip
        return answer.status_code, answer.json()

    status, body = create("mz.clerk", "Short1!")
    assert (status, body["detail"]["field"]) == (400, "password")
    status, body = create("mz.clerk", "onlysmallletters")
    assert (status, body["detail"]["rule"]) == (400, "character_kinds")
    status, body = create("mz.clerk", "My-MZ.Clerk-2026")
    assert (status, body["detail"]["rule"]) == (400, "user_name")
    everyone = client.get("/api/v1/users", headers=callers.system_admin.headers).json()
    assert "mz.clerk" not in {u["username"] for u in everyone}
    status, _ = create("mz.clerk", "Harbour lights 2026")
    assert status == 201
