"""An issue's findings as a spreadsheet to work through offline, and its answers read back (R19).

The sheet has one row per finding: its ref (which the upload matches on), what found it, the row's
key, name, source line and values, and three columns for the department to fill in: the answer
(corrected, confirmed, disputed — in either language), what was done or found, and the evidence.
Rows left without an answer are skipped; any row that cannot be read refuses the whole upload,
naming its line, so an upload is taken whole or not at all.
"""

import io
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from exchange.errors import InvalidInput
from exchange.spreadsheets import append_row, csv_document, uploaded_table
from quality.vocab import AnswerKind

Translate = Callable[[str], str]
# (column code, English header); the header a reader sees is the English one through the catalog.
COLUMNS = (
    ("ref", "Finding ref"),
    ("check", "Check"),
    ("key", "Key"),
    ("name", "Name"),
    ("line", "Source line"),
    ("value", "Values"),
    ("answer", "Answer"),
    ("text", "What was done or found"),
    ("evidence", "Evidence"),
)
ANSWER_WORDS: dict[str, AnswerKind] = {
    **{kind.value: kind for kind in AnswerKind if kind != AnswerKind.MIXED},
    "已更正": AnswerKind.CORRECTED,
    "已确认无误": AnswerKind.CONFIRMED,
    "有异议": AnswerKind.DISPUTED,
}
ANSWER_LABELS = {
    AnswerKind.CORRECTED: "已更正",
    AnswerKind.CONFIRMED: "已确认无误",
    AnswerKind.DISPUTED: "有异议",
}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def sheet_rows(views: list[dict[str, Any]], language: str) -> Iterator[list[str]]:
    for view in views:
        answer = view.get("answer") or {}
        kind = answer.get("kind")
        values = view.get("value")
        if view.get("attribute"):
            values = {view["attribute"]: [view.get("left"), view.get("right")]}
        yield [
            view["ref"],
            _cell(view.get("check")),
            _cell(view.get("key")),
            _cell(view.get("name")),
            _cell(view.get("line")),
            _cell(values),
            (ANSWER_LABELS.get(AnswerKind(kind), kind) if language == "zh" else kind)
            if kind
            else "",
            answer.get("text") or "",
            answer.get("evidence") or "",
        ]


def headers(translate: Translate) -> list[str]:
    return [translate(english) for _, english in COLUMNS]


def findings_csv(views: list[dict[str, Any]], translate: Translate, language: str) -> bytes:
    return csv_document(headers(translate), sheet_rows(views, language))


def findings_xlsx(views: list[dict[str, Any]], translate: Translate, language: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "findings"
    sheet.append(headers(translate))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in sheet_rows(views, language):
        append_row(sheet, row)
    sheet.freeze_panes = "B2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_answers(
    content: bytes, filename: str, translations: list[Translate], *, max_rows: int
) -> list[tuple[str, AnswerKind, str, str | None]]:
    """The answers filled in, as ``(ref, kind, text, evidence)``; headers in either language."""
    _, table = uploaded_table(content, filename)
    header = next(table, None)
    if not header:
        raise InvalidInput("the file is empty", error_code="empty_upload")
    columns = _columns(header, translations)
    answers: list[tuple[str, AnswerKind, str, str | None]] = []
    for line, values in enumerate(table, start=2):
        if line - 1 > max_rows:
            raise InvalidInput(
                "the file has more than {max_rows} rows", detail={"max_rows": max_rows},
                error_code="import_too_large", max_rows=max_rows,
            )  # fmt: skip
        cells = {
            code: (values[i].strip() if i < len(values) else "") for code, i in columns.items()
        }
        if not cells["answer"]:
            continue
        kind = ANSWER_WORDS.get(cells["answer"].lower()) or ANSWER_WORDS.get(cells["answer"])
        if kind is None or not cells["ref"]:
            raise InvalidInput(
                f"line {line}: {cells['answer']!r} is not an answer; write corrected, confirmed "
                "or disputed" if cells["ref"] else f"line {line}: the finding column is empty",
                detail={"line": line}, error_code="bad_answer_row",
            )  # fmt: skip
        answers.append((cells["ref"], kind, cells["text"], cells["evidence"] or None))
    return answers


def _columns(header: list[str], translations: list[Translate]) -> dict[str, int]:
    positions = {text.strip(): i for i, text in enumerate(header)}
    wanted = ("ref", "answer", "text", "evidence")
    found = {}
    for code, english in COLUMNS:
        if code not in wanted:
            continue
        names = {code, english} | {translate(english) for translate in translations}
        index = next((positions[n] for n in names if n in positions), None)
        if index is None:
            raise InvalidInput(
                "the header row has no {english!r} column; start from the downloaded sheet",
                detail={"missing_column": code}, error_code="bad_header", english=english,
            )  # fmt: skip
        found[code] = index
    return found
