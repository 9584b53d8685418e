"""Sources in the portal (R9, R19, R22): a data resource administrator tests a drop folder against
the catalog's items, registers it, runs it, downloads the rows it set aside, edits and deactivates
it; another department sees none of it; the pages speak one language at a time."""

from fastapi.testclient import TestClient
from sqlalchemy import select

from collection.models import IngestRun, Source
from exchange.identity.roles import Role
from tests.catalog_fixtures import CatalogWorld, enterprise_register, publish_entry
from tests.collection_fixtures import drop_folder
from tests.scenarios.people import sign_in

HEADER = "统一社会信用代码,企业名称,法定代表人,注册资本"
LINES = ["91440300MA5D000001,甲公司,张一,100.00", "91440300MA5D000002,乙公司,张二,abc"]


def form(token: str, code: str, **more: str) -> dict[str, str]:
    return {
        "csrf_token": token, "resource_code": code, "kind": "file",
        "config_folder": "register", "config_pattern": "*.csv", "mode": "full",
        "bad_row_threshold": "60", **more,
    }  # fmt: skip


def test_r9_a_source_is_tested_registered_run_and_deactivated_in_the_portal(
    world: CatalogWorld, client: TestClient
) -> None:
    code = publish_entry(world, enterprise_register())
    folder = drop_folder(world) / "register"
    folder.mkdir()
    (folder / "2026-11.csv").write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")

    token = sign_in(client, world, world.provider, Role.DATA_RESOURCE_ADMIN)
    page = client.get(f"/sources?resource={code}")
    assert page.status_code == 200
    assert "登记数据来源" in page.text

    # A folder outside the department's drop folder is refused on the page, nothing saved.
    escape = client.post("/sources", data=form(token, code, config_folder="../..", action="test"))
    assert escape.status_code == 400
    assert "投放目录" in escape.text
    tested = client.post("/sources", data=form(token, code, action="test"))
    assert 'id="column-matches"' in tested.text
    assert "匹配" in tested.text
    assert "registered_capital" in tested.text
    with world.platform.database.transaction() as session:
        assert session.scalars(select(Source)).all() == []

    registered = client.post(
        "/sources", data=form(token, code, action="register"), follow_redirects=False
    )
    assert registered.status_code == 303
    source_url = registered.headers["location"].split("?")[0]
    again = client.post("/sources", data=form(token, code, action="register"))
    assert again.status_code == 400
    assert "附加来源" in again.text  # a second source is a deliberate choice

    ran = client.post(f"{source_url}/run", data={"csrf_token": token}, follow_redirects=False)
    assert ran.status_code == 303
    detail = client.get(source_url)
    assert 'id="runs"' in detail.text
    with world.platform.database.transaction() as session:
        run = session.scalars(select(IngestRun)).one()
    assert (run.rows_written, run.rows_rejected) == (1, 1)
    sheet = client.get(f"/sources/runs/{run.id}/set-aside.csv")
    assert sheet.status_code == 200
    assert ",3,registered_capital: not a valid decimal" in sheet.content.decode("utf-8-sig")

    edited = client.post(f"{source_url}/edit", data={
        "csrf_token": token, "config_folder": "register", "config_pattern": "*.csv",
        "mode": "full", "schedule": "@hourly", "bad_row_threshold": "50",
    }, follow_redirects=False)  # fmt: skip
    assert edited.status_code == 303
    stopped = client.post(
        f"{source_url}/deactivate", data={"csrf_token": token}, follow_redirects=False
    )
    assert stopped.status_code == 303
    refused = client.post(f"{source_url}/run", data={"csrf_token": token})
    assert "已停用" in refused.text
    with world.platform.database.transaction() as session:
        source = session.scalars(select(Source)).one()
        assert (source.active, source.schedule, source.bad_row_threshold) == (False, "@hourly", 0.5)

    english = client.get(source_url + "?lang=en")
    assert "Rows set aside" in english.text
    assert "已停用" not in english.text

    # Another department: the source and its rows do not exist for it.
    sign_in(client, world, world.consumer_department, Role.DATA_RESOURCE_ADMIN)
    assert client.get(source_url).status_code == 404
    assert client.get(f"/sources/runs/{run.id}/set-aside.csv").status_code == 404
    assert code not in client.get("/sources").text
