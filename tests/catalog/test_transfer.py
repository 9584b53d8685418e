"""Spreadsheet import (all or nothing, errors by cell in Chinese and English), exports, DCAT-AP."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from catalog.dcat import dcat_catalog
from catalog.models import Resource
from catalog.schemas import ItemDraft
from catalog.spreadsheet import COLUMNS, entry_rows, write_csv
from catalog.spreadsheet_template import write_xlsx
from catalog.transfer import entries_for_export, import_catalog
from catalog.vocab import ValueFormat
from exchange.errors import InvalidInput
from tests.catalog_fixtures import CatalogWorld, enterprise_register, insured_persons
from tests.scenarios.catalog import publish

HEADERS = [c.header for c in COLUMNS]
CJK = re.compile(r"[\u4e00-\u9fff]")


def template_rows() -> list[list[str]]:
    return [*entry_rows(None, enterprise_register()), *entry_rows(None, insured_persons())]


def run_import(world: CatalogWorld, content: bytes, filename: str, who: str = "registrar"):  # type: ignore[no-untyped-def]
    with world.platform.database.transaction() as session:
        return import_catalog(
            session,
            actor=world.actor(who),
            now=world.platform.clock.now(),
            content=content,
            filename=filename,
            max_rows=world.platform.settings.import_max_rows,
        )


def count_resources(world: CatalogWorld) -> int:
    with world.platform.database.transaction() as session:
        return session.scalar(select(func.count()).select_from(Resource)) or 0


def test_template_rows_are_in_chinese() -> None:
    rows = template_rows()
    assert len(rows) == 6  # 4 items + 2 items
    first = dict(zip(HEADERS, rows[0], strict=True))
    assert first["资源名称"] == "企业登记信息"
    assert first["更新周期"] == "每日"
    assert first["共享类型"] == "无条件共享"
    assert first["是否必填"] == "是"
    assert (
        dict(zip(HEADERS, rows[1], strict=True))["资源名称"] == ""
    )  # resource columns only on the first row


def test_the_english_template_speaks_english_and_imports_alike(world: CatalogWorld) -> None:
    rows = [
        *entry_rows(None, enterprise_register(), "en"),
        *entry_rows(None, insured_persons(), "en"),
    ]
    content = write_xlsx(rows, "en")
    book = load_workbook(io.BytesIO(content))
    header = [cell.value for cell in book.worksheets[0][1]]
    assert header[:3] == ["Resource code", "*Resource name", "*Classification"]  # * required
    first = dict(zip([h.lstrip("*") for h in header], rows[0], strict=True))
    assert (first["Update cycle"], first["Share type"], first["Required"]) == (
        "daily",
        "unconditional",
        "yes",
    )
    guidance = [[cell.value for cell in row] for row in book.worksheets[1].iter_rows()]
    assert guidance[0] == ["Column", "Required", "Guidance", "Level"]
    assert not any(CJK.search(str(cell)) for row in guidance for cell in row)
    chinese = load_workbook(io.BytesIO(write_xlsx(template_rows(), "zh"))).worksheets[1]
    assert next(chinese.iter_rows(values_only=True)) == ("列", "必填", "填写说明", "层级")
    result = run_import(world, content, "catalog.xlsx")
    assert len(result.created) == 2


def test_xlsx_import_creates_every_entry(world: CatalogWorld) -> None:
    result = run_import(world, write_xlsx(template_rows()), "catalog.xlsx")
    assert result.created == ["202/000001", "201/000001"]
    assert count_resources(world) == 2


def test_csv_import_creates_every_entry(world: CatalogWorld) -> None:
    result = run_import(world, write_csv(template_rows()), "catalog.csv")
    assert len(result.created) == 2


def test_one_bad_cell_rejects_the_whole_file_and_names_the_cell(world: CatalogWorld) -> None:
    rows = template_rows()
    rows[5][HEADERS.index("数据类型")] = (
        "长文本"  # row 7 of the sheet: the second entry's second item
    )
    with pytest.raises(InvalidInput) as raised:
        run_import(world, write_xlsx(rows), "catalog.xlsx")
    [problem] = raised.value.detail
    assert problem["sheet"] == "目录"
    assert problem["row"] == 7
    assert problem["header"] == "数据类型"
    assert problem["column"] == "R"
    assert "is not allowed here" in problem["problem"]
    assert "不在可选范围内" in problem["problem_zh"]
    assert "nothing was imported" in raised.value.message
    assert count_resources(world) == 0


def test_rule_violations_are_reported_at_their_cells(world: CatalogWorld) -> None:
    rows = template_rows()
    rows[2][HEADERS.index("信息项共享条件")] = ""  # conditional item without its condition (row 4)
    rows[4][HEADERS.index("资源分类")] = "999"  # unknown classification on the second entry (row 6)
    with pytest.raises(InvalidInput) as raised:
        run_import(world, write_csv(rows), "catalog.csv")
    found = {(p["row"], p["header"]) for p in raised.value.detail}
    assert found == {(4, "信息项共享条件"), (6, "资源分类")}
    assert count_resources(world) == 0


def test_wrong_headers_are_refused(world: CatalogWorld) -> None:
    with pytest.raises(InvalidInput, match="missing columns: 资源代码"):
        run_import(world, "资源名称,信息项名称\n企业登记信息,名称\n".encode(), "catalog.csv")
    with pytest.raises(InvalidInput, match="no header row of the template in the first 10 rows"):
        run_import(world, "资源名称\n企业登记信息\n".encode(), "catalog.csv")


def test_r1_an_export_imported_again_changes_nothing(world: CatalogWorld) -> None:
    publish(world)
    with world.platform.database.transaction() as session:
        exported = entries_for_export(session, actor=world.actor("consumer"))
    content = write_xlsx(
        row for resource, draft in exported for row in entry_rows(resource.code, draft)
    )
    sheet = load_workbook(io.BytesIO(content))["目录"]
    assert [c.value.lstrip("*") for c in sheet[1]] == HEADERS
    assert sheet["A2"].value == "202/000001"
    result = run_import(world, content, "export.xlsx")  # the provider re-imports its own entry
    assert result.unchanged == ["202/000001"]
    assert (result.created, result.changed) == ([], [])


def test_csv_export_opens_in_spreadsheet_programs(world: CatalogWorld) -> None:
    publish(world)
    with world.platform.database.transaction() as session:
        exported = entries_for_export(session, actor=world.actor("consumer"))
    content = write_csv(
        row for resource, draft in exported for row in entry_rows(resource.code, draft)
    )
    assert content.startswith("\ufeff".encode())  # Excel needs the BOM to read UTF-8
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == HEADERS
    assert len(rows) == 5


def test_dcat_export_maps_cycle_and_share_type(world: CatalogWorld) -> None:
    publish(world)
    publish(world, insured_persons(update_cycle="half_yearly"))
    with world.platform.database.transaction() as session:
        document = dcat_catalog(session, base_url="https://data.city.example")
    assert document["@type"] == "dcat:Catalog"
    first, second = document["dcat:dataset"]
    assert first["dct:identifier"] == "201/000001"
    assert first["dct:accrualPeriodicity"]["@id"].endswith("/frequency/ANNUAL_2")
    assert second["dct:accrualPeriodicity"]["@id"].endswith("/frequency/DAILY")
    assert second["dct:accessRights"]["skos:closeMatch"]["@id"].endswith("/access-right/RESTRICTED")
    assert second["dct:accessRights"]["rdfs:label"]["@value"] == "有条件共享"
    assert second["dct:publisher"]["foaf:name"]["@value"] == "市市场监督管理局"
    assert [i["exg:name"] for i in second["exg:dataItems"]][:2] == ["uscc", "enterprise_name"]


def test_formats_and_value_sets_travel_through_the_spreadsheet(world: CatalogWorld) -> None:
    draft = enterprise_register()
    draft.items[0].value_format = ValueFormat.USCC
    draft.items.append(
        ItemDraft(name="status", label="登记状态", data_type="string", length=2,
                  share_type="unconditional", allowed_values=["存续", "注销"])
    )  # fmt: skip
    rows = list(entry_rows(None, draft))
    first = dict(zip(HEADERS, rows[0], strict=True))
    assert (first["信息项标识"], first["格式"]) == ("uscc", "统一社会信用代码")
    assert dict(zip(HEADERS, rows[-1], strict=True))["值域"] == "存续;注销"
    result = run_import(world, write_xlsx(rows), "catalog.xlsx")
    with world.platform.database.transaction() as session:
        resource = session.scalars(select(Resource)).one()
        items = {i.name: i for i in resource.versions[-1].items}
        assert result.created == [resource.code]
        assert items["uscc"].value_format == "uscc"
        assert items["status"].allowed_values == ["存续", "注销"]
    wrong = dict(zip(HEADERS, rows[0], strict=True)) | {"格式": "不晚于当日"}
    with pytest.raises(InvalidInput) as raised:
        run_import(world, write_xlsx([[wrong[h] for h in HEADERS], *rows[1:]]), "c.xlsx")
    assert raised.value.detail[0]["header"] == "格式"
