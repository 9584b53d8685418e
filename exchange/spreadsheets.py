"""Cells that stay data in a spreadsheet: the one rule for every CSV and XLSX the platform writes.

A department's data, a catalog entry or a name can start with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return; opened in Excel or WPS such a cell is a formula (``=HYPERLINK(…)``,
``=cmd|…``) run on the reader's machine. CSV cells of that kind get a leading apostrophe, which
spreadsheets show as text; plain numbers (``-5``, ``+86``) are left as they are, since they cannot
be formulas. XLSX cells are written with the string type, never as formulas.
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from exchange.errors import InvalidInput

if TYPE_CHECKING:
    import pyarrow as pa
    from openpyxl.worksheet.worksheet import Worksheet

FORMULA_START = re.compile(r"^[=+\-@\t\r]")
PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
BOM = "\ufeff"  # so that Excel reads UTF-8 Chinese
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralised(value: Any) -> Any:
    """``value`` as a CSV cell that a spreadsheet will not run."""
    if isinstance(value, str) and FORMULA_START.match(value) and not PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def csv_document(header: list[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """UTF-8 CSV with a byte-order mark, every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralised(cell) for cell in header])
    writer.writerows([neutralised(cell) for cell in row] for row in rows)
    return (BOM + out.getvalue()).encode("utf-8")


def append_row(sheet: "Worksheet", row: Iterable[Any]) -> None:
    """``sheet.append(row)``, with text that looks like a formula kept as text."""
    sheet.append(list(row))
    for cell in sheet[sheet.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"


def neutralised_table(table: "pa.Table") -> "pa.Table":
    """The table with each text column neutralised as :func:`neutralised` does, in Arrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for index, field in enumerate(table.schema):
        if not (pa.types.is_string(field.type) or pa.types.is_large_string(field.type)):
            continue
        column = table.column(index)
        risky = pc.and_(
            pc.match_substring_regex(column, FORMULA_START.pattern),
            pc.invert(pc.match_substring_regex(column, PLAIN_NUMBER.pattern)),
        )
        if not pc.any(risky).as_py():
            continue
        quoted = pc.binary_join_element_wise(pa.scalar("'", field.type), column, "")
        table = table.set_column(index, field, pc.if_else(risky, quoted, column))
    return table


@dataclass(frozen=True)
class WideMerge:
    """Cells merged across columns, e.g. ``A1:F1``, over rows ``first_row`` to ``last_row``."""

    cells: str
    first_row: int
    last_row: int


def uploaded_table(
    content: bytes, filename: str, *, sheet: str | None = None
) -> tuple[str, Iterator[list[str]]]:
    """An uploaded XLSX or CSV as (sheet name, rows of trimmed text), read lazily so that a
    caller may stop at a bad header or too many rows. ``sheet`` names the XLSX sheet to read when
    it is there (the first one otherwise)."""
    name, rows, _ = _table(content, filename, sheet, merged=False)
    return name, rows


def filled_in_table(
    content: bytes, filename: str, *, max_rows: int, sheet: str | None = None
) -> tuple[str, Iterator[list[str]], list[WideMerge]]:
    """Like :func:`uploaded_table` for a sheet people fill in by hand: a cell merged down a
    column gives its value to every row it covers, and the merges across columns are returned
    for the caller to refuse where they cover data (a title above the headers is one).

    openpyxl sees merges only when it reads the whole workbook into memory, and a few compressed
    megabytes can hold millions of cells: the sheet is first streamed to refuse one with more
    than ``max_rows`` rows or rows wider than :data:`MAX_COLUMNS`, before it is read whole."""
    if filename.lower().endswith(".xlsx"):
        _refuse_oversized(content, filename, sheet, max_rows)
    return _table(content, filename, sheet, merged=True)


MAX_COLUMNS = 200  # a sheet people fill in has tens of columns


def too_many_rows(max_rows: int) -> InvalidInput:
    return InvalidInput(
        "the file has more than {max_rows} rows; import it in parts",
        detail={"max_rows": max_rows}, error_code="import_too_large", max_rows=max_rows,
    )  # fmt: skip


def _refuse_oversized(content: bytes, filename: str, sheet: str | None, max_rows: int) -> None:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several kinds for a file that is not XLSX
        raise InvalidInput("{filename} is not a readable XLSX file", filename=filename) from error
    chosen = workbook[sheet] if sheet in workbook.sheetnames else workbook.worksheets[0]
    try:
        # A few rows above the headers (a title, a date) come on top of the data's rows.
        for number, row in enumerate(chosen.iter_rows(values_only=True), start=1):
            if number > max_rows + 10:
                raise too_many_rows(max_rows)
            if len(row) > MAX_COLUMNS and any(v is not None for v in row[MAX_COLUMNS:]):
                raise InvalidInput(
                    "row {row} has values beyond column {limit}: the template has far fewer "
                    "columns", detail={"row": number}, row=number, limit=MAX_COLUMNS,
                )  # fmt: skip
    finally:
        workbook.close()


def _table(
    content: bytes, filename: str, sheet: str | None, *, merged: bool
) -> tuple[str, Iterator[list[str]], list[WideMerge]]:
    lowered = filename.lower()
    if lowered.endswith(".xlsx"):
        return _xlsx_rows(content, filename, sheet, merged)
    if lowered.endswith(".csv"):
        text = decoded(content)
        rows = ([cell.strip() for cell in row] for row in csv.reader(io.StringIO(text)))
        return filename, rows, []
    if lowered.endswith((".xls", ".et", ".wps")):
        raise InvalidInput(
            "{filename} is an older Excel or WPS file: open it and save it as an Excel workbook "
            "(.xlsx), then upload that",
            detail={"filename": filename}, filename=filename,
        )  # fmt: skip
    raise InvalidInput("upload the file as .xlsx or .csv", detail={"filename": filename})


def decoded(content: bytes) -> str:
    """CSV text as Excel and WPS save it: UTF-8 (with or without a byte-order mark) or, on
    Chinese Windows, GBK (read as GB18030, which contains it)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(
        "the CSV file is neither UTF-8 nor GBK text: save it as CSV UTF-8 or as .xlsx"
    )


def _xlsx_rows(
    content: bytes, filename: str, sheet: str | None, merged: bool
) -> tuple[str, Iterator[list[str]], list[WideMerge]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=not merged, data_only=True)
    except Exception as error:  # openpyxl raises several kinds for a file that is not XLSX
        raise InvalidInput("{filename} is not a readable XLSX file", filename=filename) from error
    chosen = workbook[sheet] if sheet in workbook.sheetnames else workbook.worksheets[0]
    wide = _spread_merged_cells(chosen) if merged else []
    rows = (
        ["" if v is None else str(v).strip() for v in row]
        for row in chosen.iter_rows(values_only=True)
    )
    return chosen.title, rows, wide


def _spread_merged_cells(sheet: Any) -> list[WideMerge]:
    """Give each row of a cell merged down one column the merged value; return the merges
    across columns, left as they are."""
    wide = []
    for merge in list(sheet.merged_cells.ranges):
        if merge.min_col != merge.max_col:
            wide.append(WideMerge(merge.coord, merge.min_row, merge.max_row))
            continue
        value = sheet.cell(merge.min_row, merge.min_col).value
        sheet.unmerge_cells(merge.coord)
        for row in range(merge.min_row, merge.max_row + 1):
            sheet.cell(row, merge.min_col).value = value
    return wide


def xlsx_document(header: list[str], rows: Iterable[Iterable[Any]], sheet: str = "data") -> bytes:
    """An XLSX workbook of ``rows``: text stays text (an identity number keeps its 18 digits and
    its leading zeros, where a CSV opened in Excel turns it into a rounded number), nothing is a
    formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)

    def cells(values: Iterable[Any]) -> list[Any]:
        row = []
        for value in values:
            cell = WriteOnlyCell(worksheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, never a number
            row.append(cell)
        return row

    worksheet.append(cells(header))
    for values in rows:
        worksheet.append(cells(values))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
