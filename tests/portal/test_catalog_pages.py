"""Catalog work in the portal without a browser: a spreadsheet with a bad cell is refused with a
report naming sheet, row, column and problem, and nothing is imported; a good one is imported.
Registering an invalid entry shows every problem and saves nothing."""

import io
import re

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from catalog import entries as entries_module
from catalog.models import Resource
from catalog.spreadsheet import COLUMNS, entry_rows
from catalog.spreadsheet_template import write_xlsx
from catalog.vocab import ShareType
from exchange.audit.models import AuditRecord
from tests.catalog_fixtures import CatalogWorld, enterprise_register, insured_persons, publish_entry
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
    assert "导入完成" in good.text
    assert entries(world) == 1
    again = client.post(
        "/catalog/import", data={"csrf_token": token},
        files={"file": ("目录.xlsx", write_xlsx(entry_rows(None, enterprise_register())),
                        "application/octet-stream")},
    )  # fmt: skip
    assert re.search(r"未变化的目录:\s*1", again.text)
    assert "按名称匹配到资源" in again.text
    assert entries(world) == 1


def test_r1_the_registrar_downloads_the_template_and_their_entries_with_the_portal_session(
    world: CatalogWorld, client: TestClient
) -> None:
    publish_entry(world, enterprise_register())
    sign_in(client, world, "registrar")
    blank = client.get("/catalog/import/template.xlsx")
    assert blank.status_code == 200
    book = load_workbook(io.BytesIO(blank.content))
    assert book["目录"].max_row == 1  # headers only: no other department's rows
    assert "资源分类代码" in book.sheetnames
    mine = load_workbook(io.BytesIO(client.get("/catalog/import/mine.xlsx").content))["目录"]
    assert mine["B2"].value == "企业登记信息"
    client.cookies.clear()
    sign_in_page = client.get("/catalog/import/template.xlsx", follow_redirects=False)
    assert sign_in_page.status_code == 303  # to the sign-in page, not a 401 from the API
    password_sign_in(client, world.platform, username(world, "consumer"))
    assert client.get("/catalog/import/template.xlsx").status_code == 403


def test_r1_a_selection_of_drafts_is_submitted_and_approved_each_with_its_audit_record(
    world: CatalogWorld, client: TestClient
) -> None:
    token = sign_in(client, world, "registrar")
    rows = [
        *entry_rows(None, enterprise_register()),
        *entry_rows(None, enterprise_register(name="个体工商户登记信息")),
        *entry_rows(None, enterprise_register(name="企业年报信息")),
    ]
    imported = client.post(
        "/catalog/import", data={"csrf_token": token},
        files={"file": ("目录.xlsx", write_xlsx(rows), "application/octet-stream")},
    )  # fmt: skip
    codes = re.findall(r'<a href="/catalog/(\d+/\d+)">', imported.text)
    assert len(codes) == 3
    page = client.get("/catalog/drafts")
    assert all(f'value="{code}"' in page.text for code in codes)
    submitted = client.post("/catalog/drafts/submit", data={"csrf_token": token, "code": codes[:2]})
    assert "共2项，已办理2项" in submitted.text
    token = sign_in(client, world, "reviewer")
    approved = client.post(
        "/catalog/review/approve", data={"csrf_token": token, "code": [codes[0], codes[2]]}
    )
    # The third was never submitted: refused, named, and the first published all the same.
    assert "共2项，已办理1项" in approved.text
    assert codes[2] in approved.text
    with world.platform.database.transaction() as session:
        actions = session.scalars(
            select(AuditRecord.object_id).where(AuditRecord.action == "catalog.approve")
        ).all()
        submits = session.scalars(
            select(AuditRecord.object_id).where(AuditRecord.action == "catalog.submit")
        ).all()
    assert len(submits) == 2
    assert len(actions) == 1


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
    problems = re.findall(r"<li>(信息项第1行 · [a-z_]+|name|abstract): ", page.text)
    assert {
        "name",
        "信息项第1行 · name",
        "信息项第1行 · length",
        "信息项第1行 · share_condition",
    } <= set(problems)  # every problem at once, 1-based
    assert 'value="Bad Name"' in page.text  # what was typed is kept
    assert entries(world) == 0


def test_r1_the_entry_form_grows_and_suggests_identifiers_from_chinese_names(
    world: CatalogWorld, client: TestClient
) -> None:
    token = sign_in(client, world, "registrar")
    form = {
        "csrf_token": token, "name": "养老机构备案信息", "classification_code": "202",
        "abstract": "本市养老机构的备案信息，包括机构名称和床位数。", "update_cycle": "monthly",
    }  # fmt: skip
    rows = {f"item-{i}-{f}": "" for i in range(6) for f in ("name", "label", "length")}
    rows |= {"item-0-label": "机构名称", "item-0-length": "100", "item-0-data_type": "string",
             "item-0-share_type": "unconditional", "item-0-is_key": "on", "item-0-required": "on"}  # fmt: skip
    grown = client.post("/catalog/new", data={**form, **rows, "add_rows": "yes"})
    assert grown.status_code == 200
    assert 'name="item-10-name"' in grown.text  # 6 rows and 5 more
    assert 'value="ji_gou_ming_cheng"' in grown.text  # suggested from 机构名称, to keep or change
    assert entries(world) == 0  # adding rows saves nothing
    saved = client.post("/catalog/new", data={**form, **rows})
    assert saved.status_code == 200
    assert "请更正" not in saved.text, re.findall(r"<li>[^<]+</li>", saved.text)[:8]
    code = re.search(r"/catalog/(\d+/\d+)", str(saved.url)).group(1)  # type: ignore[union-attr]
    with world.platform.database.transaction() as session:
        version = entries_module.working_version(
            session, entries_module.get_resource(session, code)
        )
        assert version is not None
        assert [item.name for item in version.items] == ["ji_gou_ming_cheng"]


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


def test_r12_the_catalog_is_searched_by_abbreviation_and_filtered_by_department_and_class(
    world: CatalogWorld, client: TestClient
) -> None:
    publish_entry(world, enterprise_register())
    publish_entry(world, insured_persons())
    publish_entry(
        world, enterprise_register(name="婚姻登记信息"), "other_registrar", "other_reviewer"
    )
    sign_in(client, world, "consumer")

    def names(**query: str) -> set[str]:
        page = client.get("/catalog", params=query).text
        return set(re.findall(r'<a href="/catalog/\d+/\d+">([^<]+)</a>', page))

    assert names(q="信息") == {"企业登记信息", "社会保险参保信息", "婚姻登记信息"}
    assert names(q="社保") == {"社会保险参保信息"}
    assert names(q="信息", department=str(world.consumer_department.id)) == {"婚姻登记信息"}
    assert names(q="信息", classification="201") == {"社会保险参保信息"}
    page = client.get("/catalog", params={"q": "信息", "department": str(world.provider.id)})
    assert f'<option value="{world.provider.id}" selected>' in page.text
