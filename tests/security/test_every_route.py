"""R22, R16: every route of the app — API and portal, enumerated from the router — refuses an
anonymous caller, and refuses to change anything for a signed-in user who holds no role, unless it
is listed here as public or as a user's own business. A new route starts refused by this test
until it checks who may use it, or is listed with the reason.
"""

import re

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from sqlalchemy import select
from starlette.routing import Route

from exchange.audit.models import AuditRecord
from tests.catalog_fixtures import CatalogWorld
from tests.factories import PASSWORD, make_token, make_user
from tests.scenarios.data import approved_grant, publish_with_data
from tests.scenarios.people import login_token

# Anyone, signed in or not.
PUBLIC = {
    ("GET", "/healthz"),
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/auth/password"),  # the current password (and code) or nothing changes
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/login/second-factor"),  # its sealed challenge names whose password was right
    ("POST", "/login/new-password"),  # its sealed challenge, and the current password again
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
    ("HEAD", "/openapi.json"),
    ("HEAD", "/docs"),
    ("HEAD", "/docs/oauth2-redirect"),
    ("HEAD", "/redoc"),
}
# Any signed-in user, about their own session, tokens and notifications (each checks that they
# are the user's own: tests/api/test_auth.py); and checking a draft entry, which stores nothing.
OWN_BUSINESS = {
    ("POST", "/api/v1/tokens"),
    ("DELETE", "/api/v1/tokens/{token_id}"),
    ("POST", "/api/v1/notifications/{notification_id}/read"),
    ("POST", "/account/tokens"),
    ("POST", "/account/tokens/{token_id}/revoke"),
    ("POST", "/account/password"),
    ("POST", "/notifications/read"),
    ("POST", "/logout"),
    ("POST", "/api/v1/catalog/validate"),
}
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


def routes(client: TestClient) -> list[tuple[str, str]]:
    found = [
        (method, route.path)
        for route in client.app.routes  # type: ignore[attr-defined]
        if isinstance(route, Route) and route.methods
        for method in sorted(route.methods)
    ]
    assert len(found) > 150  # the API's 105 operations and the portal's pages
    return found


def filled(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "1"), path)


@pytest.fixture
def things(world: CatalogWorld) -> dict[str, str]:
    """Something real behind each kind of path parameter: a published entry with data, a
    request with its grant, the provider's department."""
    code = publish_with_data(world)
    approved_grant(world, code)
    classification, sequence = code.split("/")
    return {
        "classification": classification,
        "sequence": sequence,
        "code": world.provider.code,
        "department_code": world.provider.code,
        "year": "2026",
        "element": "enterprise_name",
        "action": "approve",
    }


def test_r22_every_route_refuses_an_anonymous_caller(
    client: TestClient, world: CatalogWorld, things: dict[str, str]
) -> None:
    let_through = []
    for method, path in routes(client):
        if (method, path) in PUBLIC:
            continue
        client.cookies.clear()
        answer = client.request(method, filled(path, things), follow_redirects=False)
        refused = answer.status_code in (401, 403) or (
            answer.status_code == 303 and answer.headers["location"].startswith("/login")
        )
        if not refused:
            let_through.append(f"{method} {path}: {answer.status_code}")
    assert let_through == []


def valid_cases(operation: schemathesis.APIOperation, count: int = 3) -> list[schemathesis.Case]:
    cases: list[schemathesis.Case] = []

    @given(case=operation.as_strategy())
    @settings(max_examples=count, derandomize=True, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))  # fmt: skip
    def collect(case: schemathesis.Case) -> None:
        cases.append(case)

    collect()
    return cases


def allowed_by(world: CatalogWorld, username: str) -> list[str]:
    with world.platform.database.transaction() as session:
        return list(
            session.scalars(
                select(AuditRecord.action).where(
                    AuditRecord.actor == username, AuditRecord.outcome == "allowed"
                )
            )
        )


def test_r22_a_user_without_roles_changes_nothing_through_any_route(
    client: TestClient, world: CatalogWorld, things: dict[str, str]
) -> None:
    with world.platform.database.transaction() as session:
        nobody = make_user(session, world.platform, world.provider, password=PASSWORD)
        username, token = nobody.username, make_token(session, world.platform, nobody)
    bearer = {"Authorization": f"Bearer {token}"}
    api = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    succeeded: list[str] = []
    exercised = set()
    for result in api.get_all_operations():
        operation = result.ok()
        key = (operation.method.upper(), operation.path)
        if key[0] not in MUTATING or key in PUBLIC | OWN_BUSINESS:
            continue
        exercised.add(key)
        for case in valid_cases(operation):
            case.path_parameters = {
                name: filled(f"{{{name}}}", things) for name in case.path_parameters or {}
            }
            answer = case.call(headers=bearer)
            if 200 <= answer.status_code < 300:
                succeeded.append(f"{key[0]} {key[1]}: {answer.status_code}")

    client.cookies.clear()
    client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": login_token(client)},
    )
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert form_token
    portal: list[tuple[str, str]] = [
        (method, path) for method, path in routes(client)
        if method in MUTATING and not path.startswith("/api/") and (method, path) not in PUBLIC | OWN_BUSINESS
    ]  # fmt: skip
    for method, path in portal:
        exercised.add((method, path))
        answer = client.request(
            method, filled(path, things), data={"csrf_token": form_token.group(1)}
        )
        if "已保存" in answer.text or "Saved" in answer.text:
            succeeded.append(f"{method} {path}: saved")

    every_mutating = {(m, p) for m, p in routes(client) if m in MUTATING} - PUBLIC - OWN_BUSINESS
    assert exercised == every_mutating
    assert succeeded == [], succeeded
    # Signing in issued a token; nothing else this user did was allowed.
    assert set(allowed_by(world, username)) <= {"token.issue"}, allowed_by(world, username)


def test_r22_the_route_lists_name_only_routes_that_exist(client: TestClient) -> None:
    existing = set(routes(client))
    assert (PUBLIC | OWN_BUSINESS) - existing == set()
