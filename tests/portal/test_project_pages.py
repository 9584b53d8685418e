"""Project pages (R24-R27): a unit's officer proposes, fills the form, files documents, builds the
sharing list and submits; the bureau puts the project in the plan, approves it, and meets the
sharing veto with its evidence; another unit sees nothing of it. One language at a time."""

import re

from fastapi.testclient import TestClient

from exchange.clock import FrozenClock
from exchange.identity.roles import Role
from tests.catalog_fixtures import CatalogWorld
from tests.conftest import local
from tests.scenarios.people import sign_in
from tests.scenarios.requests import publish


def post(client: TestClient, url: str, token: str, **fields: str) -> str:
    answer = client.post(url, data={"csrf_token": token, **fields})
    assert answer.status_code == 200, answer.text[:300]
    return answer.text


def test_r24_r27_a_project_goes_through_the_portal_to_the_veto(
    world: CatalogWorld, clock: FrozenClock, client: TestClient
) -> None:
    clock.set(local(2026, 7, 1, 10, 0))
    code = publish(world)
    token = sign_in(client, world, world.provider, Role.PROJECT_OFFICER)
    page = post(client, "/projects", token, name="企业登记系统升级", plan_year="2027",
                urgent_approval="")  # fmt: skip
    project = re.search(r"<h1>企业登记系统升级</h1>", page)
    assert project, page[:500]
    url = re.search(r'action="(/projects/\d+)/form"', page).group(1)  # type: ignore[union-attr]
    assert "申请函" in page  # what is still missing, in Chinese
    assert "建设方案" in page
    post(client, f"{url}/form", token, investment_software="800000", funding_fiscal="800000",
         construction_months="12", legal_representative="王局长", project_lead="李工",
         contact="张三")  # fmt: skip
    # The register has an item not shared by law: its written legal basis is filed too (R25).
    for kind, name in (("letter", "申请函.pdf"), ("plan", "建设方案.pdf"),
                       ("legal_basis", "法律依据.pdf")):  # fmt: skip
        filed = client.post(f"{url}/documents", data={"csrf_token": token, "kind": kind},
                            files={"file": (name, b"%PDF " + kind.encode(), "application/pdf")})  # fmt: skip
        assert filed.status_code == 200
    post(client, f"{url}/sharing-lines", token, direction="produce", resource_code=code)
    page = post(client, f"{url}/commitment", token, signed_by="王局长")
    assert 'id="gaps"' not in page  # nothing missing any more
    assert "uscc" in page
    assert code in page
    page = post(client, f"{url}/steps/submit", token)
    assert "不在已批准的 2027 年度计划中" in page  # R24: refused, said why

    admin = sign_in(client, world, world.bureau, Role.BUREAU_ADMIN)
    number = url.rsplit("/", 1)[1]
    post(client, f"/projects/{number}/plan", admin, included="yes")
    page = post(client, "/projects/plans/2027/approve", admin)
    assert "发展改革部门和财政部门" in page  # R24: endorsed first
    for role in (Role.REFORM_OFFICE, Role.FINANCE_OFFICE):
        office = sign_in(client, world, world.bureau, role)
        post(client, "/projects/plans/2027/endorse", office)
    admin = sign_in(client, world, world.bureau, Role.BUREAU_ADMIN)
    post(client, "/projects/plans/2027/approve", admin)
    token = sign_in(client, world, world.provider, Role.PROJECT_OFFICER)
    page = post(client, f"{url}/steps/submit", token)
    assert 'id="project-state" class="badge">初审' in page

    reviewer = sign_in(client, world, world.bureau, Role.PROJECT_REVIEWER)
    page = post(client, f"{url}/steps/decide", reviewer, approve="yes", reply="同意立项")
    assert 'id="approval-number">2026-0001' in page
    page = post(client, f"{url}/steps/accept", reviewer)
    assert "未通过共享核查" in page  # the veto, named
    page = post(client, f"{url}/steps/check", reviewer)
    assert "从未向平台提供数据" in page  # its evidence kept on the page
    english = client.get(url, params={"lang": "en"}).text
    assert "has never been provided" in english
    assert "从未" not in english

    sign_in(client, world, world.consumer_department, Role.PROJECT_OFFICER)
    assert client.get(url).status_code == 404
