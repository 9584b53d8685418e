"""Catalog work in the portal without a browser: a spreadsheet with a bad cell is refused with a
report naming sheet, row, column and problem, and nothing is imported; a good one is imported.
Registering an invalid entry shows every problem and saves nothing."""

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from catalog.models import Resource
from catalog.spreadsheet import COLUMNS, entry_rows, write_xlsx
from catalog.vocab import ShareType
from tests.catalog_fixtures import CatalogWorld, enterprise_register, publish_entry
from tests.scenarios.people import password_sign_in, username


def sign_in(client: TestClient, world: CatalogWorld, who: str) -> str:
    password_sign_in(client, world.platform, username(world, who))
    page = client.get("/catalog/import")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def entries(world: CatalogWorld) -> int:
    with world.platform.database.transaction() as session:
        return session.scalar(select(func.count()).select_from(Resource)) or 0


def test_a_bad_spreadsheet_is_reported_by_cell_and_imports_nothing(
    world: CatalogWorld, client: TestClient
) -> None:
    token = sign_in(client, world, "registrar")
    rows = list(entry_rows(None, enterprise_register()))
    rows[1][[c.header for c in COLUMNS].index("长度")] = "十八"
    refused = client.post(
        "/catalog/import", data={"csrf_token": token},
        files={"file": ("目录.xlsx", write_xlsx(rows), "application/octet-stream")},
    )  # fmt: skip
    assert refused.status_code == 400
    assert re.search(r"<td>3</td><td>[A-Z]+</td><td>长度</td><td>十八 不是整数</td>", refused.text)
    assert entries(world) == 0
    good = client.post(
        "/catalog/import", data={"csrf_token": token},
        files={"file": ("目录.xlsx", write_xlsx(entry_rows(None, enterprise_register())),
                        "application/octet-stream")},
    )  # fmt: skip
    assert good.status_code == 200
    assert "已导入" in good.text
    assert entries(world) == 1


def test_an_invalid_entry_shows_every_problem_and_saves_nothing(
    world: CatalogWorld, client: TestClient
) -> None:
    token = sign_in(client, world, "registrar")
    form = {
        "csrf_token": token, "name": "企", "classification_code": "202", "abstract": "短",
        "update_cycle": "daily", "item-0-name": "Bad Name", "item-0-label": "名称",
        "item-0-data_type": "string", "item-0-length": "", "item-0-share_type": "conditional",
        "item-0-share_condition": "",
    }  # fmt: skip
    page = client.post("/catalog/new", data=form)
    assert page.status_code == 200
    problems = re.findall(r"<li>(items\[0\]\.[a-z_]+|name|abstract): ", page.text)
    assert {"name", "items[0].name", "items[0].length", "items[0].share_condition"} <= set(problems)
    assert 'value="Bad Name"' in page.text  # what was typed is kept
    assert entries(world) == 0


def test_r3_a_not_shared_resource_offers_no_request_or_preview_and_shows_its_legal_basis(
    world: CatalogWorld, client: TestClient
) -> None:
    law = "《中华人民共和国个人信息保护法》第二十八条"
    draft = enterprise_register(name="个人征信信息")
    for item in draft.items:
        item.share_type, item.share_condition, item.legal_basis = ShareType.NOT_SHARED, None, law
    code = publish_entry(world, draft)
    shared = publish_entry(world, enterprise_register())
    sign_in(client, world, "consumer")

    page = client.get(f"/catalog/{code}").text
    assert "不予共享" in page
    assert law in page
    assert f"/access/requests/new?resource={code}" not in page
    assert f'href="/data/{code}"' not in page
    other = client.get(f"/catalog/{shared}").text  # a shared one still offers both
    assert f"/access/requests/new?resource={shared}" in other
    assert "不予共享：" not in other
