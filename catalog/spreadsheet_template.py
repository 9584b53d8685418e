"""The catalog template as an Excel workbook people fill in: dropdowns for every controlled
column, required columns marked, widths that fit, the classification codes listed, and what to
write in each column explained, all in the reader's language."""

import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from catalog.spreadsheet import COLUMNS, SHEET, Column, choices_of, column_letter, note_in
from exchange.i18n import Message
from exchange.spreadsheets import append_row

# Rows the dropdowns cover: more than a department's catalog has items.
FILLABLE_ROWS = 5000
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def is_required(column: Column) -> bool:
    return column.model_field is not None and column.model_field.is_required()


def write_xlsx(
    rows: Iterable[list[str]],
    language: str = "zh",
    classifications: Sequence[tuple[str, str]] = (),
) -> bytes:
    """The template with ``rows`` (none for an empty one); either language's template imports."""
    say = {w: Message(w).in_language(language)
           for w in ("Column", "Guidance", "Level", "Required", "Choices", "Classification codes",
                     "Code", "Name", "yes")}  # fmt: skip
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = SHEET if language == "zh" else "catalog"
    # A required column's header carries a *, which import reads past.
    sheet.append([("*" if is_required(c) else "") + c.header_in(language) for c in COLUMNS])
    for cell, column in zip(sheet[1], COLUMNS, strict=True):
        cell.font = Font(bold=True)
        cell.fill = REQUIRED_FILL if is_required(column) else HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        width = 40 if column.field in ("abstract", "description", "share_condition") else 16
        sheet.column_dimensions[column_letter(COLUMNS.index(column))].width = width
    for row in rows:
        append_row(sheet, row)
    sheet.freeze_panes = "B2"

    notes = workbook.create_sheet(Message("Guidance").in_language(language))
    notes.append([say["Column"], say["Required"], say["Guidance"], say["Level"]])
    for column in COLUMNS:
        level = Message("resource") if column.level == "resource" else Message("data item")
        notes.append([column.header_in(language), say["yes"] if is_required(column) else "",
                      note_in(column, language), level.in_language(language)])  # fmt: skip
    for letter, width in zip("ABCD", (20, 8, 70, 10), strict=True):
        notes.column_dimensions[letter].width = width
    if classifications:
        codes = workbook.create_sheet(say["Classification codes"])
        codes.append([say["Code"], say["Name"]])
        for code, name in classifications:
            append_row(codes, [code, name])
        codes.column_dimensions["B"].width = 40
    _dropdowns(
        workbook, sheet, language
    )  # its hidden sheet last: the visible ones keep their places
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _dropdowns(workbook: Workbook, sheet: object, language: str) -> None:
    """A list of choices on every controlled column, kept on a hidden sheet (a list written in
    the rule itself is limited to 255 characters)."""
    lists = workbook.create_sheet("choices")
    lists.sheet_state = "hidden"
    used = 0
    for index, column in enumerate(COLUMNS):
        choices = choices_of(column, language)
        if choices is None:
            continue
        used += 1
        letter = column_letter(used - 1)
        for row, choice in enumerate(choices, start=1):
            lists.cell(row, used).value = choice
        rule = DataValidation(
            type="list", formula1=f"choices!${letter}$1:${letter}${len(choices)}",
            allow_blank=True, showErrorMessage=True,
            error=Message("Choose one of the listed values").in_language(language),
        )  # fmt: skip
        target = column_letter(index)
        rule.add(f"{target}2:{target}{FILLABLE_ROWS}")
        sheet.add_data_validation(rule)  # type: ignore[attr-defined]
