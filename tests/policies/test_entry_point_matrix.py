"""Every role, in the providing, the consuming and a third department, against the actions the
other matrices do not cover, through the HTTP API: managing a source (R9), seeing and reporting
use (R17), administering departments, searching the audit log (R16), the duplicate collection
report (R8), stewards' checks and validation on demand (R18).

The expected outcome is written out here from RULES.md, independently of exchange/actions.csv. An
attempt is allowed when it gets past the decision point (any answer but 403, or a 404 that hides
what the caller may not see).
"""

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from exchange.identity.roles import Role
from tests.catalog_fixtures import CatalogWorld
from tests.collection_fixtures import drop_folder
from tests.factories import department_code, make_department, make_token, make_user
from tests.scenarios.data import approved_grant, publish_with_data

DEPARTMENTS = ("provider", "consumer", "third")
CITY_WIDE = "any"  # the rule holds in whichever department the person sits


def expected(action: str, department: str, role: Role) -> bool:
    """What RULES.md says, action by action."""
    rules: dict[str, tuple[set[Role], str]] = {
        # R9: the provider's data resource administrator connects its systems; the bureau any.
        "manage_source": ({Role.DATA_RESOURCE_ADMIN}, "provider"),
        # R17: providers see the use of their data; the bureau and auditors see all.
        "see_use": ({Role.DATA_RESOURCE_ADMIN, Role.DATA_REVIEWER}, CITY_WIDE),
        # R17: the consumer reports the use back.
        "report_use": ({Role.CONSUMER}, "consumer"),
        # The system administrator keeps departments and accounts (R21, 三员分立).
        "administer": ({Role.SYSTEM_ADMIN}, CITY_WIDE),
        # R16: the auditor / security officer reads the audit log; so does the bureau.
        "search_audit": ({Role.AUDITOR, Role.BUREAU_ADMIN}, CITY_WIDE),
        # R8: the bureau and its data stewards watch for duplicate collection.
        "duplicates": ({Role.BUREAU_ADMIN, Role.DATA_STEWARD}, CITY_WIDE),
        # R18: the bureau's data stewards define checks for any department's data.
        "add_check": ({Role.DATA_STEWARD}, CITY_WIDE),
        # R18, R19: stewards validate any data; the provider's administrator its own.
        "validate": ({Role.DATA_STEWARD}, CITY_WIDE),
    }
    roles, where = rules[action]
    if action == "see_use" and role in (Role.BUREAU_ADMIN, Role.AUDITOR):
        return True
    if action == "manage_source" and role == Role.BUREAU_ADMIN:
        return True
    if action == "validate" and role == Role.DATA_RESOURCE_ADMIN:
        return department == "provider"
    return role in roles and where in (CITY_WIDE, department)


@pytest.fixture
def scene(world: CatalogWorld) -> dict[str, Any]:
    code = publish_with_data(world)
    grant_id = approved_grant(world, code)
    (drop_folder(world) / "drop").mkdir(exist_ok=True)
    with world.platform.database.transaction() as session:
        third = make_department(session, world.platform)
    return {"code": code, "grant": grant_id, "third": third}


def attempts(scene: dict[str, Any]) -> dict[str, Callable[[TestClient, dict[str, str]], Any]]:
    code, grant = scene["code"], scene["grant"]
    serials = iter(range(900, 1000))
    return {
        "manage_source": lambda client, headers: client.post(
            "/api/v1/collection/sources", headers=headers,
            json={"resource_code": code, "kind": "file", "config": {"folder": "drop"},
                  "additional": True},
        ),
        "see_use": lambda client, headers: client.get(
            "/api/v1/access/usage", params={"side": "provider"}, headers=headers
        ),
        "report_use": lambda client, headers: client.post(
            f"/api/v1/access/grants/{grant}/use-reports", headers=headers,
            json={"period_from": str(date(2026, 9, 1)), "period_to": str(date(2026, 9, 30)),
                  "uses": 3, "outcome": "核验法定代表人 3 次"},
        ),
        "administer": lambda client, headers: client.post(
            "/api/v1/departments", headers=headers,
            json={"code": department_code(next(serials)), "name": f"矩阵测试局{next(serials)}"},
        ),
        "search_audit": lambda client, headers: client.get("/api/v1/audit", headers=headers),
        "duplicates": lambda client, headers: client.get(
            "/api/v1/catalog/duplicate-collection", headers=headers
        ),
        "add_check": lambda client, headers: client.post(
            f"/api/v1/quality/resources/{code}/expectations", headers=headers,
            json={"kind": "not_null", "column": "district", "description": "所属区不能为空"},
        ),
        "validate": lambda client, headers: client.post(
            f"/api/v1/quality/resources/{code}/validate", headers=headers
        ),
    }  # fmt: skip


@pytest.mark.parametrize("role", list(Role))
def test_r9_r16_r17_r18_every_role_in_every_department_against_every_remaining_action(
    world: CatalogWorld, client: TestClient, scene: dict[str, Any], role: Role
) -> None:
    departments = {
        "provider": world.provider,
        "consumer": world.consumer_department,
        "third": scene["third"],
    }
    outcomes, wanted = {}, {}
    for department, where in departments.items():
        with world.platform.database.transaction() as session:
            user = make_user(session, world.platform, where, role)
            headers = {"Authorization": f"Bearer {make_token(session, world.platform, user)}"}
        for action, attempt in attempts(scene).items():
            response = attempt(client, headers)
            assert response.status_code < 500, (action, department, response.text)
            refused = response.status_code in (403, 404)
            outcomes[action, department] = not refused
            wanted[action, department] = expected(action, department, role)
    assert outcomes == wanted
