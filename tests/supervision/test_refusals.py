"""Refusals of the bureau's supervision actions (R11, R20) name the action refused, in the
reader's language, and who may take it."""

import pytest
from fastapi.testclient import TestClient

from exchange.identity.roles import Role
from tests.catalog_fixtures import CatalogWorld
from tests.factories import make_token, make_user
from tests.scenarios.people import bearer

ACTIONS = [
    ("post", "/api/v1/supervision/enforce", {}, "run the freshness enforcement", "执行数据更新时效检查"),
    ("post", "/api/v1/supervision/scorecards/compute", {"period": "2026-11"},
     "compute the scorecards", "计算评分卡"),
    ("post", "/api/v1/supervision/violations/detect", {}, "look for violations", "排查违规"),
    ("post", "/api/v1/supervision/usage-statements/generate", {"period": "2026-11"},
     "draw up usage statements", "生成使用清单"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "params", "english", "chinese"), ACTIONS)
def test_r20_a_refused_supervision_action_is_named(
    world: CatalogWorld, client: TestClient, method: str, path: str, params: dict[str, str],
    english: str, chinese: str,
) -> None:  # fmt: skip
    consumer = bearer(world, "consumer")
    refused = client.request(method, path, params=params, headers=consumer)
    assert refused.status_code == 403
    body = refused.json()
    assert english in body["message"]
    assert "bureau_admin" in body["message"]
    assert "departments and users" not in body["message"]
    assert body["detail"]["object"] == "supervision"
    assert body["detail"]["required_roles"] == ["bureau_admin"]
    in_chinese = client.request(method, path, params=params,
                                headers={**consumer, "Accept-Language": "zh"}).json()  # fmt: skip
    assert chinese in in_chinese["message"]


def test_r11_lifting_and_deciding_refusals_name_their_action(
    world: CatalogWorld, client: TestClient
) -> None:
    consumer = bearer(world, "consumer")
    lifted = client.post(f"/api/v1/supervision/departments/{world.consumer_department.code}/lift",
                         json={"reason": "自行解除"}, headers=consumer)  # fmt: skip
    assert lifted.status_code == 403
    assert "lift a warning or a suspension" in lifted.json()["message"]
    decided = client.post("/api/v1/supervision/violations/1/decision",
                          json={"decision": "dismissed", "reason": "无"}, headers=consumer)  # fmt: skip
    assert decided.status_code == 403
    assert "decide on a violation" in decided.json()["message"]


# Written from RULES.md, not from exchange/actions.csv: the bureau restricts rights (R11) and
# tracks violations and sharing performance (R20, R17); nobody else takes these actions.
SUPERVISORS = {Role.BUREAU_ADMIN}
EVERY_ACTION = [
    ("post", "/api/v1/supervision/enforce", {}, None),
    ("post", "/api/v1/supervision/scorecards/compute", {"period": "2026-11"}, None),
    ("post", "/api/v1/supervision/violations/detect", {}, None),
    ("post", "/api/v1/supervision/usage-statements/generate", {"period": "2026-11"}, None),
    ("post", "/api/v1/supervision/departments/{department}/lift", {}, {"reason": "核实后解除"}),
    ("post", "/api/v1/supervision/violations/999/decision", {},
     {"decision": "dismissed", "reason": "无"}),
    ("post", "/api/v1/supervision/violations/999/corrections", {},
     {"decision": "dismissed", "reason": "无"}),
]  # fmt: skip


@pytest.mark.parametrize("role", list(Role))
def test_r20_every_role_against_every_supervision_action(
    world: CatalogWorld, client: TestClient, role: Role
) -> None:
    with world.platform.database.transaction() as session:
        user = make_user(session, world.platform, world.consumer_department, role)
        headers = {"Authorization": f"Bearer {make_token(session, world.platform, user)}"}
    for method, path, params, body in EVERY_ACTION:
        url = path.format(department=world.consumer_department.code)
        response = client.request(method, url, params=params, json=body, headers=headers)
        # The bureau gets past the decision point: done, or "not found" for the absent objects.
        allowed = response.status_code != 403
        assert allowed == (role in SUPERVISORS), (role, path, response.status_code)
