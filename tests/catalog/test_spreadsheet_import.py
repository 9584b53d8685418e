"""Spreadsheets as departments fill them (R1): merged cells, a CSV saved by Excel on Chinese
Windows (GBK), the other words people write for vocabulary terms, a title row and starred
headers, columns the template lacks, and importing the same file again."""

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from catalog import lifecycle
from catalog.entries import get_resource, working_version
from catalog.models import Resource
from catalog.spreadsheet import COLUMNS, entry_rows
from catalog.spreadsheet_template import write_xlsx
from catalog.vocab import ResourceFormat, ShareMode, UpdateCycle
from exchange.errors import InvalidInput
from tests.catalog.test_transfer import HEADERS, run_import
from tests.catalog_fixtures import CatalogWorld, enterprise_register
from tests.scenarios.catalog import publish
from tests.scenarios.requests import act

COLUMN_OF = {header: index + 1 for index, header in enumerate(HEADERS)}


def _cell(row: list[str], header: str, value: str) -> None:
    row[HEADERS.index(header)] = value


def _household_register() -> list[list[str]]:
    """An 4-item entry as a department writes it: its own words for the vocabulary."""
    rows = [list(row) for row in entry_rows(None, enterprise_register(name="低保家庭信息"))]
    first = rows[0]
    _cell(first, "更新周期", "每天")  # the label is 每日
    _cell(first, "资源格式", "数据库")  # a format's 数据库, not a provision method's
    _cell(first, "共享方式", "接口")
    _cell(first, "提供方式", "接口")  # the label is 接口对接
    for row in rows:
        if row[HEADERS.index("数据类型")] == "字符型":
            _cell(row, "数据类型", "字符串")  # the label
        _cell(row, "共享类型", "有条件")  # the label is 有条件共享
        _cell(row, "信息项共享条件", "仅用于社会救助审核")
    return rows


def _merged_workbook(rows: list[list[str]]) -> bytes:
    """The rows in a workbook as people make them: a title above the headers, * on required
    headers, a column of their own, and 敏感级别 and 是否必填 merged over the item rows."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "目录"
    sheet.append(["市民政局政务信息资源目录（2026年）"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=8)
    sheet.append([("*" if h in ("资源名称", "信息项名称") else "") + h for h in HEADERS] + ["备注"])
    for row in rows:
        sheet.append([*row, "内部使用"])
    first, last = 3, 2 + len(rows)
    for header, value in (("敏感级别", "敏感"), ("是否必填", "是")):
        column = COLUMN_OF[header]
        sheet.cell(first, column).value = value
        for number in range(first + 1, last + 1):
            sheet.cell(number, column).value = None
        sheet.merge_cells(start_row=first, start_column=column, end_row=last, end_column=column)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _gbk_csv(rows: list[list[str]]) -> bytes:
    lines = [",".join(HEADERS), *(",".join(row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


def _count(world: CatalogWorld) -> int:
    with world.platform.database.transaction() as session:
        return session.scalar(select(func.count()).select_from(Resource)) or 0


def test_r1_a_merged_gbk_synonym_spreadsheet_imports_as_meant_and_again_changes_nothing(
    world: CatalogWorld,
) -> None:
    rows = _household_register()
    result = run_import(world, _merged_workbook(rows), "目录.xlsx")
    [code] = result.created
    assert [w["column"] for w in result.warnings] == ["备注"]  # reported, not silently dropped
    with world.platform.database.transaction() as session:
        version = working_version(session, get_resource(session, code))
        assert version is not None
        assert (version.update_cycle, version.format, version.share_mode) == (
            UpdateCycle.DAILY, ResourceFormat.DATABASE, ShareMode.API,
        )  # fmt: skip
        assert version.provision_method == "api"
        # The merged cells' values reached every item row they cover.
        assert [item.sensitivity for item in version.items] == ["sensitive"] * len(rows)
        assert all(item.required for item in version.items)
        assert [item.data_type for item in version.items] == [
            "string", "string", "string", "decimal",
        ]  # fmt: skip
        assert {item.share_type for item in version.items} == {"conditional"}

    # The same file again, and the same entry as a GBK CSV without its code: nothing changes.
    again = run_import(world, _merged_workbook(rows), "目录.xlsx")
    assert (again.created, again.changed, again.unchanged) == ([], [], [code])
    for row in rows:
        _cell(row, "敏感级别", "敏感")
        _cell(row, "是否必填", "是")
    as_csv = run_import(world, _gbk_csv(rows), "目录.csv")
    assert (as_csv.created, as_csv.changed, as_csv.unchanged) == ([], [], [code])
    assert as_csv.warnings[0]["code"] == code  # matched by department and name, said so
    assert "按名称匹配" in str(as_csv.warnings[0]["warning_zh"])
    assert _count(world) == 1

    # A real change to it changes it, once.
    _cell(rows[0], "资源摘要", "本市低保家庭的认定信息。")
    changed = run_import(world, _gbk_csv(rows), "目录.csv")
    assert changed.changed == [code]
    assert _count(world) == 1


def test_r1_rows_that_cannot_be_imported_are_rows_of_the_report_in_chinese(
    world: CatalogWorld,
) -> None:
    others = publish(world)  # the provider's entry; the other registrar imports below
    mine = run_import(
        world, write_xlsx(entry_rows(None, enterprise_register(name="婚姻登记信息"))),
        "c.xlsx", who="other_registrar",
    ).created[0]  # fmt: skip
    act(world, "other_registrar", lifecycle.submit, code=mine)
    rows = [
        *entry_rows(others, enterprise_register()),
        *entry_rows(
            mine, enterprise_register(name="婚姻登记信息", abstract="改过的摘要，说明用途。")
        ),
    ]
    with pytest.raises(InvalidInput) as refused:
        run_import(world, write_xlsx(rows), "c.xlsx", who="other_registrar")
    problems = {(p["row"], p["header"]): p["problem_zh"] for p in refused.value.detail}
    assert problems[(2, "资源代码")] == f"资源{others}属于其他部门，不能在本部门导入修改"
    assert problems[(2 + len(rows) // 2, "资源代码")] == f"资源{mine}正在审核中，审核结束后才能修改"
    assert "nothing was imported" in refused.value.message


def test_r1_file_level_problems_are_explained(world: CatalogWorld) -> None:
    with pytest.raises(InvalidInput) as old_excel:
        run_import(world, b"\xd0\xcf\x11\xe0", "目录.xls")
    assert "另存为Excel工作簿（.xlsx）" in old_excel.value.in_language("zh")
    with pytest.raises(InvalidInput) as not_text:
        run_import(world, b"\xff\xfe\x00\xd8" * 10, "目录.csv")
    assert "GBK" in not_text.value.in_language("zh")
    book = load_workbook(io.BytesIO(write_xlsx(list(entry_rows(None, enterprise_register())))))
    sheet = book["目录"]
    sheet.merge_cells("B2:C2")  # a name merged over the classification
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(InvalidInput) as across:
        run_import(world, buffer.getvalue(), "目录.xlsx")
    assert across.value.detail == {"cells": "B2:C2"}
    assert _count(world) == 0


def test_r1_the_template_offers_dropdowns_and_marks_what_is_required() -> None:
    book = load_workbook(io.BytesIO(write_xlsx([], "zh", [("202", "市场监管")])))
    sheet = book["目录"]
    headers = [cell.value for cell in sheet[1]]
    assert headers[HEADERS.index("资源名称")] == "*资源名称"
    assert headers[HEADERS.index("资源代码")] == "资源代码"
    lists = {
        str(rule.sqref).split(":")[0]: rule.formula1
        for rule in sheet.data_validations.dataValidation
    }
    letter = sheet.cell(1, COLUMN_OF["资源格式"]).column_letter
    formula = lists[f"{letter}2"]
    choices = [
        c.value for c in book["choices"][formula.split("!")[1].replace("$", "").split(":")[0][0]]
    ]
    assert "数据库" in choices  # the format's own labels
    assert "数据库对接" not in choices
    assert book["choices"].sheet_state == "hidden"
    assert list(book["资源分类代码"].iter_rows(values_only=True))[1] == (
        "202",
        "市场监管",
    )
    assert [
        c.header for c in COLUMNS if c.header not in headers and "*" + c.header not in headers
    ] == []


def test_r21_a_workbook_too_large_to_read_whole_is_refused_while_streamed(
    world: CatalogWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seeing merged cells takes reading the workbook whole; a workbook of too many rows, or of
    rows far wider than the template, is refused from a streamed pass before that."""
    import openpyxl

    limit = world.platform.settings.import_max_rows
    opened: list[bool] = []
    real = openpyxl.load_workbook

    def spied(*args: object, **kwargs: object) -> object:
        opened.append(bool(kwargs.get("read_only")))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(openpyxl, "load_workbook", spied)
    for rows, width in ((limit + 20, 3), (5, 300)):
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(HEADERS)
        for _ in range(rows):
            sheet.append(["x"] * width)
        sheet.merge_cells("C2:C3")
        buffer = io.BytesIO()
        book.save(buffer)
        opened.clear()
        with pytest.raises(InvalidInput) as refused:
            run_import(world, buffer.getvalue(), "目录.xlsx")
        assert opened == [True]  # streamed only, never loaded whole
        if width == 3:
            assert refused.value.code == "import_too_large"
        else:
            assert refused.value.detail == {"row": 2}
    assert _count(world) == 0
