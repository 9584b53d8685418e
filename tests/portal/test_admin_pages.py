"""Audit and administration in the portal: the auditor searches the log and verifies the chain;
the bureau adds departments and users and changes roles; everyone manages their own tokens; the
calendar takes a year's schedule. Each page refuses whoever may not use it."""

import io
import re

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from exchange.identity.models import User
from exchange.identity.roles import Role
from tests.catalog_fixtures import CatalogWorld
from tests.factories import PASSWORD, make_user
from tests.scenarios.people import password_sign_in


def sign_in_as(client: TestClient, world: CatalogWorld, *roles: Role) -> str:
    with world.platform.database.transaction() as session:
        user = make_user(session, world.platform, world.bureau, *roles, password=PASSWORD)
        name = user.username
    password_sign_in(client, world.platform, name)
    page = client.get("/account/tokens")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def test_auditors_search_the_log_and_verify_the_chain(
    world: CatalogWorld, client: TestClient
) -> None:
    sign_in_as(client, world, Role.CONSUMER)
    assert client.get("/audit").status_code == 403
    sign_in_as(client, world, Role.AUDITOR)
    page = client.get("/audit", params={"action": "token.issue"})
    assert page.status_code == 200
    # The two sign-ins, named in Chinese with the code small beside.
    assert page.text.count('接口令牌 · 签发 <code class="identifier">token.issue</code>') >= 2
    verified = client.get("/audit", params={"verify": "true"})
    assert "哈希链校验通过" in verified.text


def test_r16_the_audit_log_reads_in_chinese_with_legible_details_and_without_sign_ins(
    world: CatalogWorld, client: TestClient
) -> None:
    sign_in_as(client, world, Role.AUDITOR)
    everything = client.get("/audit").text
    assert "登录" in everything
    assert "token.issue" in everything
    quiet = client.get("/audit", params={"hide_sign_ins": "true"})
    assert quiet.status_code == 200
    for code in ("identity.sign_in", "token.issue"):
        assert f">{code}</code>" not in quiet.text
    assert "{&#34;" not in everything  # details as lines, not a JSON document
    older = re.search(r'href="(/audit\?[^"]+)"', quiet.text)
    if older:  # the next page keeps the filter
        assert "hide_sign_ins=true" in older.group(1)


def test_every_recorded_action_of_the_code_has_a_name_people_read() -> None:
    import pathlib

    from exchange.audit.labels import action_label

    root = pathlib.Path(__file__).resolve().parents[2]
    recorded = set()
    for source in root.glob("*/**/*.py"):
        if ".venv" in source.parts or "tests" in source.parts:
            continue
        text = source.read_text(encoding="utf-8")
        recorded |= set(re.findall(r'action=f?"([a-z_]+(?:\.[a-z_]+)+)"', text))
        for workflow in re.findall(r'Workflow\(\s*name="([a-z_]+)"', text):
            steps = re.findall(r'Transition\(\s*"([a-z_]+)"', text)
            recorded |= {f"{workflow}.{step}" for step in steps}
    assert len(recorded) > 100
    assert sorted(a for a in recorded if action_label(a) is None) == []


def test_r21_accounts_are_found_by_name_or_department_a_page_at_a_time(
    world: CatalogWorld, client: TestClient
) -> None:
    sign_in_as(client, world, Role.SYSTEM_ADMIN)
    with world.platform.database.transaction() as session:
        for _ in range(55):
            make_user(session, world.platform, world.provider, Role.CONSUMER)
    first = client.get("/admin")
    assert "第1页，共2页" in first.text
    second = client.get("/admin", params={"page": "2"})
    assert "第2页，共2页" in second.text
    found = client.get("/admin", params={"q": world.consumer_department.name})
    rows = re.findall(r"<tr><td>[^<]+</td><td>([^<]+)</td>", found.text.split('id="users"')[1])
    assert rows
    assert set(rows) == {world.consumer_department.name}


def test_r21_the_system_administrator_adds_accounts_and_the_security_administrator_roles(
    world: CatalogWorld, client: TestClient
) -> None:
    token = sign_in_as(client, world, Role.CONSUMER)
    assert client.get("/admin").status_code == 403
    token = sign_in_as(client, world, Role.BUREAU_ADMIN)
    assert client.get("/admin").status_code == 403  # the bureau's business is not the accounts
    token = sign_in_as(client, world, Role.SYSTEM_ADMIN)
    page = client.get("/admin").text
    # Accounts and their passwords are the system administrator's; roles and second factors not.
    assert "/password" in page
    assert "/roles" not in page
    assert "/second-factor/reset" not in page
    added = client.post("/admin/departments", data={
        "csrf_token": token, "code": "11440300MB2C92211T", "name": "市应急管理局", "kind": "government",
    })  # fmt: skip
    assert "已保存" in added.text
    user = client.post("/admin/users", data={
        "csrf_token": token, "username": "yj.reviewer", "display_name": "应急审核员",
        "department_code": "11440300MB2C92211T", "roles": ["data_reviewer"], "password": "long-enough-pw-2026",
    })  # fmt: skip
    assert "已保存" in user.text
    with world.platform.database.transaction() as session:
        made = session.scalars(select(User).where(User.username == "yj.reviewer")).one()
        user_id = made.id
        assert made.roles == ["data_reviewer"]
    refused = client.post(f"/admin/users/{user_id}/roles",
                          data={"csrf_token": token, "roles": ["data_reviewer", "consumer"]})  # fmt: skip
    assert "已保存" not in refused.text
    with world.platform.database.transaction() as session:
        assert session.get_one(User, user_id).roles == ["data_reviewer"]
    bad = client.post("/admin/users", data={
        "csrf_token": token, "username": "short", "display_name": "x", "department_code": "11440300MB2C92211T",
        "password": "short",
    })  # fmt: skip
    assert "password" in bad.text  # refused, with the reason

    token = sign_in_as(client, world, Role.SECURITY_ADMIN)
    client.post(f"/admin/users/{user_id}/roles",
                data={"csrf_token": token, "roles": ["data_reviewer", "consumer"]})  # fmt: skip
    with world.platform.database.transaction() as session:
        assert sorted(session.get_one(User, user_id).roles) == ["consumer", "data_reviewer"]
    combined = client.post(f"/admin/users/{user_id}/roles",
                           data={"csrf_token": token, "roles": ["system_admin", "auditor"]})  # fmt: skip
    assert "三员" in combined.text or "at once" in combined.text
    with world.platform.database.transaction() as session:
        assert sorted(session.get_one(User, user_id).roles) == ["consumer", "data_reviewer"]


def test_tokens_are_shown_once_and_revoked(world: CatalogWorld, client: TestClient) -> None:
    token = sign_in_as(client, world, Role.CONSUMER)
    created = client.post(
        "/account/tokens", data={"csrf_token": token, "name": "脚本", "days": "30"}
    )
    secret = re.search(r'id="new-token">(exg_[^<]+)<', created.text).group(1)  # type: ignore[union-attr]
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    )
    assert secret not in client.get("/account/tokens").text
    script_id = max(re.findall(r"/account/tokens/(\d+)/revoke", created.text), key=int)
    client.post(f"/account/tokens/{script_id}/revoke", data={"csrf_token": token})
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    )


def test_the_calendar_takes_a_years_schedule(world: CatalogWorld, client: TestClient) -> None:
    token = sign_in_as(client, world, Role.BUREAU_ADMIN)
    schedule = "date,type,name\n2027-01-01,holiday,元旦\n2027-02-06,workday,春节调休\n"
    done = client.post(
        "/admin/calendar", data={"csrf_token": token},
        files={"file": ("2027.csv", schedule.encode(), "text/csv")},
    )  # fmt: skip
    assert "已保存" in done.text
    assert "2027 · 2027.csv" in client.get("/admin/calendar").text


def test_r20_scorecards_show_and_export_in_the_portal_in_one_language(
    world: CatalogWorld, client: TestClient
) -> None:
    from supervision.scorecards import compute

    platform = world.platform
    with platform.database.transaction() as session:
        compute(session, period="2026-11", zone=platform.settings.zone, now=platform.clock.now())
    sign_in_as(client, world, Role.BUREAU_ADMIN)
    page = client.get("/supervision/scorecards", params={"period": "2026-11"})
    assert page.status_code == 200
    assert world.provider.name in page.text
    assert "按时答复申请比例" in page.text
    exported = client.get("/supervision/scorecards.csv", params={"period": "2026-11"})
    assert exported.content.decode("utf-8-sig").startswith("统计期间,部门,目录完整度")
    book = load_workbook(io.BytesIO(
        client.get("/supervision/scorecards.xlsx", params={"period": "2026-11"}).content
    ))  # fmt: skip
    assert book.active is not None
    assert book.active.title == "评分卡"
    assert [c.value for c in book.active[1]][:3] == ["统计期间", "部门", "目录完整度"]
    printable = client.get("/supervision/scorecards.pdf", params={"period": "2026-11"})
    assert printable.headers["content-type"] == "application/pdf"
    assert printable.content.startswith(b"%PDF-")
    assert b"STSong-Light" in printable.content  # Chinese text, in a font every reader has
    assert (
        client.get("/supervision/scorecards.exe", params={"period": "2026-11"}).status_code == 404
    )


def test_r20_the_bureau_computes_scorecards_from_the_portal_and_a_consumer_cannot(
    world: CatalogWorld, client: TestClient
) -> None:
    token = sign_in_as(client, world, Role.CONSUMER)
    client.post("/supervision/scorecards/compute", data={"csrf_token": token, "period": "2026-11"})
    assert "尚未计算" in client.get("/supervision/scorecards", params={"period": "2026-11"}).text
    token = sign_in_as(client, world, Role.BUREAU_ADMIN)
    page = client.get("/supervision/scorecards", params={"period": "2026-11"})
    assert 'id="compute"' in page.text
    computed = client.post(
        "/supervision/scorecards/compute", data={"csrf_token": token, "period": "2026-11"}
    )
    assert "已保存" in computed.text
    assert world.provider.name in computed.text.split('id="scorecards"')[1]
    refused = client.post(
        "/supervision/scorecards/compute", data={"csrf_token": token, "period": "2026-13"}
    )
    assert "已保存" not in refused.text
