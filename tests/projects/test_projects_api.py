"""The project register through the HTTP API and the command line (R24-R27): a unit applies with
its documents and sharing list, the bureau approves, and the acceptance meets the sharing veto,
whose evidence the API and `exchange projects check` give in the reader's language."""

from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from exchange.clock import FrozenClock
from exchange.db import Database
from exchange_cli import main
from tests.catalog_fixtures import CatalogWorld
from tests.conftest import local
from tests.factories import make_token
from tests.scenarios.projects import offices, people
from tests.scenarios.requests import publish


def bearer_of(world: CatalogWorld, principal: object) -> dict[str, str]:
    from exchange.identity.service import get_user

    with world.platform.database.transaction() as session:
        user = get_user(session, principal.user_id)  # type: ignore[attr-defined]
        return {"Authorization": f"Bearer {make_token(session, world.platform, user)}"}


def test_r24_r27_a_project_goes_through_the_api_and_meets_the_veto(
    world: CatalogWorld, clock: FrozenClock, client: TestClient, database: Database,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    clock.set(local(2026, 7, 1, 10, 0))
    cast = people(world)
    code = publish(world)
    officer, reviewer = bearer_of(world, cast["officer"]), bearer_of(world, cast["reviewer"])
    admin = bearer_of(world, world.actor("admin"))
    created = client.post("/api/v1/projects", json={"name": "企业登记系统升级", "plan_year": 2027},
                          headers=officer)  # fmt: skip
    assert created.status_code == 201, created.text
    project = created.json()["id"]
    url = f"/api/v1/projects/{project}"
    assert client.put(f"{url}/plan", json={"included": True}, headers=officer).status_code == 403
    assert client.put(f"{url}/plan", json={"included": True}, headers=admin).status_code == 200
    assert client.post("/api/v1/projects/plans/2027/approve", headers=admin).status_code == 409
    for office in offices(world):  # R24: both offices endorse first
        endorsed = client.post("/api/v1/projects/plans/2027/endorse",
                               headers=bearer_of(world, office))  # fmt: skip
        assert endorsed.status_code == 200
    assert client.post("/api/v1/projects/plans/2027/approve", headers=admin).status_code == 200

    form = {"investment": {"software": 800000}, "funding": {"fiscal": 800000},
            "construction_months": 12,
            "persons": {"legal_representative": "王局长", "project_lead": "李工", "contact": "张三"}}  # fmt: skip
    assert client.put(f"{url}/form", json=form, headers=officer).status_code == 200
    for kind, name in (("letter", "申请函.pdf"), ("plan", "建设方案.pdf")):
        filed = client.post(f"{url}/documents", data={"kind": kind},
                            files={"file": (name, b"%PDF " + kind.encode(), "application/pdf")},
                            headers=officer)  # fmt: skip
        assert filed.status_code == 201, filed.text
        assert len(filed.json()["sha256"]) == 64
    sharing = {"lines": [{"direction": "produce", "name": "企业登记信息", "resource_code": code,
                          "items": [{"name": "uscc", "share_type": "unconditional"}]}]}  # fmt: skip
    detail = client.put(f"{url}/sharing-list", json=sharing,
                        headers={**officer, "Accept-Language": "zh"}).json()  # fmt: skip
    assert [gap["message"] for gap in detail["gaps"]] == ["已签署的共享交换承诺书"]
    assert client.post(f"{url}/commitment", json={"signed_by": "王局长"},
                       headers=officer).status_code == 200  # fmt: skip
    assert client.post(f"{url}/submit", headers=officer).json()["state"] == "initial_review"
    decided = client.post(f"{url}/decision", json={"approve": True, "reply": "同意立项"},
                          headers=reviewer)  # fmt: skip
    assert decided.json()["approval_number"] == "2026-0001"

    refused = client.post(f"{url}/acceptance", headers={**reviewer, "Accept-Language": "zh"})
    assert refused.status_code == 409
    assert refused.json()["code"] == "sharing_veto"
    check = client.get(f"{url}/sharing-check", headers={**officer, "Accept-Language": "zh"}).json()
    assert check["passed"] is False
    assert [f["veto"] for f in check["findings"]] == ["not_provided"]
    assert "从未向平台提供数据" in check["findings"][0]["message"]
    assert client.get("/api/v1/projects/funding-flags", headers=officer).status_code == 403
    assert client.get(url, headers=bearer_of(world, cast["other_officer"])).status_code == 404

    monkeypatch.setenv("EXCHANGE_DATABASE_URL", database.url)
    monkeypatch.setenv("EXCHANGE_DATA_DIR", str(tmp_path))
    ran = CliRunner().invoke(main, ["projects", "check", str(project), "--lang", "en"])
    assert ran.exit_code == 1
    assert ran.output.startswith("not_provided\t企业登记信息: ")
    assert "has never been provided" in ran.output
