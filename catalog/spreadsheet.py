"""The catalog spreadsheet template: one row per data item, rows of one resource together.

Resource columns are filled on the first row of a resource and may be left blank (or repeated)
on its other rows. Vocabulary cells take the code or the Chinese label (``conditional`` or
``有条件共享``); yes/no cells take 是/否 or yes/no. The template is written in the reader's
language (the national template's Chinese headers, or English ones) and either imports. Import is all or nothing: any problem rejects the whole
file with a report naming sheet, row, column and the problem, in Chinese and English.
"""

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from catalog.schemas import EntryDraft, ItemDraft
from catalog.validation import Context, Problem, validate_entry
from catalog.vocab import label_zh, parse_term
from exchange.errors import InvalidInput
from exchange.i18n import Message
from exchange.spreadsheets import csv_document, filled_in_table, too_many_rows

SHEET = "目录"


@dataclass(frozen=True)
class Column:
    header: str  # the national template's Chinese header
    field: str
    level: str  # "resource" or "item"
    note: str  # an English message id, shown in the reader's language

    @property
    def english(self) -> str:
        return ENGLISH_HEADERS[self.header]

    def header_in(self, language: str) -> str:
        return self.header if language == "zh" else self.english

    @property
    def model_field(self) -> Any:
        """The entry schema's field this column fills (pydantic ``FieldInfo``), if any."""
        return (EntryDraft if self.level == "resource" else ItemDraft).model_fields.get(self.field)

    @property
    def annotation(self) -> Any:
        return getattr(self.model_field, "annotation", None)


COLUMNS = (
    Column(
        "资源代码", "code", "resource", "Blank for a new entry; an existing code changes that entry"
    ),
    Column("资源名称", "name", "resource", "Resource name"),
    Column("资源分类", "classification_code", "resource", "Classification code, e.g. 202"),
    Column("资源摘要", "abstract", "resource", "Abstract"),
    Column("资源格式", "format", "resource", ""),
    Column("更新周期", "update_cycle", "resource", ""),
    Column("共享方式", "share_mode", "resource", ""),
    Column("共享条件", "share_condition", "resource", "Share condition of the entry"),
    Column("共享范围", "share_scope", "resource", ""),
    Column("是否向社会开放", "open_to_public", "resource", ""),
    Column("开放条件", "open_condition", "resource", "Open condition"),
    Column("时效性要求", "timeliness", "resource", "e.g. T+1"),
    Column("提供方式", "provision_method", "resource", ""),
    Column("关联资源代码", "related_codes", "resource", "Codes separated by ;"),
    Column("是否需保密审查", "sensitive", "resource", ""),
    Column("信息项标识", "name", "item", "lower-case identifier, e.g. uscc"),
    Column("信息项名称", "label", "item", "The item's name in Chinese"),
    Column("数据类型", "data_type", "item", ""),
    Column("长度", "length", "item", "Length"),
    Column("精度", "precision", "item", "Decimal places"),
    Column("是否必填", "required", "item", ""),
    Column("是否主键", "is_key", "item", ""),
    Column("信息项描述", "description", "item", "Description"),
    Column("敏感级别", "sensitivity", "item", ""),
    Column("共享类型", "share_type", "item", ""),
    Column("信息项共享条件", "share_condition", "item", "Required for conditional items"),
    Column("不予共享依据", "legal_basis", "item", "Required for items that are not shared"),
    Column("数据元", "element", "item", "Data element, e.g. uscc"),
    Column(
        "重复采集理由",
        "duplicate_justification",
        "item",
        "Required when another department is authoritative",
    ),
    Column("格式", "value_format", "item", ""),
    Column("值域", "allowed_values", "item", "Allowed values separated by ;"),
    Column("脱敏规则", "masking", "item", "e.g. keep:4:4, pseudonym, month, range:1000, hide"),
)
ENGLISH_HEADERS = {
    "资源代码": "Resource code",
    "资源名称": "Resource name",
    "资源分类": "Classification",
    "资源摘要": "Abstract",
    "资源格式": "Format",
    "更新周期": "Update cycle",
    "共享方式": "Share mode",
    "共享条件": "Share condition",
    "共享范围": "Share scope",
    "是否向社会开放": "Open to the public",
    "开放条件": "Open condition",
    "时效性要求": "Timeliness",
    "提供方式": "Provision method",
    "关联资源代码": "Related resource codes",
    "是否需保密审查": "Needs a confidentiality review",
    "信息项标识": "Item identifier",
    "信息项名称": "Item name",
    "数据类型": "Data type",
    "长度": "Length",
    "精度": "Precision",
    "是否必填": "Required",
    "是否主键": "Key",
    "信息项描述": "Item description",
    "敏感级别": "Sensitivity",
    "共享类型": "Share type",
    "信息项共享条件": "Item share condition",
    "不予共享依据": "Legal basis for not sharing",
    "数据元": "Data element",
    "重复采集理由": "Why collected again",
    "格式": "Value format",
    "值域": "Value set",
    "脱敏规则": "Masking rule",
}
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
YES = {"是", "yes", "y", "true", "1"}
NO = {"否", "no", "n", "false", "0", ""}


def column_letter(index: int) -> str:
    return _LETTERS[index] if index < 26 else _LETTERS[index // 26 - 1] + _LETTERS[index % 26]


@dataclass(frozen=True)
class CellProblem:
    sheet: str
    row: int
    column: str
    header: str
    problem: str
    problem_zh: str

    def as_dict(self) -> dict[str, object]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "header": self.header,
            "problem": self.problem,
            "problem_zh": self.problem_zh,
        }


@dataclass
class ParsedEntry:
    code: str | None
    draft: EntryDraft
    first_row: int
    item_rows: list[int]


MAX_PROBLEMS_SHOWN = 500


# English headers as they read with their spaces taken out, like every header (below).
_CHINESE_HEADER_OF = {c.english.replace(" ", ""): c.header for c in COLUMNS}
HEADER_SEARCH_ROWS = 10  # a title, a date line or a note may stand above the headers
_REQUIRED_MARKS = re.compile(r"[*＊]|[（(]必填[）)]|\s")


def _normalised_header(text: str) -> str:
    """A header as the template names it: required marks (``*``, （必填）) and line breaks
    people add are not part of it; an English template's header stands for the Chinese one."""
    bare = _REQUIRED_MARKS.sub("", text)
    return _CHINESE_HEADER_OF.get(bare, bare)


def read_rows(
    content: bytes, filename: str, *, max_rows: int
) -> tuple[str, list[tuple[int, dict[str, str]]], list[str]]:
    """The sheet name, its data rows (numbered as the spreadsheet numbers them) by header, and
    the columns the template does not have (reported, their cells not read).

    The header row is found among the first rows and checked before any other row is read, and
    reading stops past ``max_rows``: a wrong or oversized file is refused after reading what it
    takes to say so."""
    name, raw, wide_merges = filled_in_table(content, filename, sheet=SHEET, max_rows=max_rows)
    header_row, headers = _header_row(raw)
    for merge in wide_merges:
        if merge.last_row > header_row:
            raise InvalidInput(
                "the cells {cells} are merged across columns: unmerge them so that each column "
                "has its own value; nothing was imported",
                detail={"cells": merge.cells}, error_code="merged_across_columns",
                cells=merge.cells,
            )  # fmt: skip
    known = {c.header for c in COLUMNS}
    unknown = [h for h in headers if h and h not in known]
    rows = []
    for number, values in enumerate(raw, start=header_row + 1):
        if number - header_row > max_rows:
            raise too_many_rows(max_rows)
        if any(values):
            rows.append(
                (number, {h: (values[i] if i < len(values) else "") for i, h in enumerate(headers)
                          if h in known})
            )  # fmt: skip
    return name, rows, unknown


def _header_row(raw: Iterator[list[str]]) -> tuple[int, list[str]]:
    """The row number and normalised headers of the first row naming the template's columns."""
    best: list[str] = []
    for number, values in enumerate(raw, start=1):
        headers = [_normalised_header(v) for v in values]
        if "资源名称" in headers and "信息项名称" in headers:
            missing = [c.header for c in COLUMNS if c.header not in headers]
            if missing:
                raise InvalidInput(
                    "the header row does not match the template; missing columns: {missing}",
                    detail={"missing_columns": missing, "row": number},
                    missing=", ".join(missing),
                )
            return number, headers
        if any(values) and not best:
            best = headers
        if number >= HEADER_SEARCH_ROWS:
            break
    if not best:
        raise InvalidInput("the file is empty")
    raise InvalidInput(
        "no header row of the template in the first {rows} rows: the resource name and item "
        "name columns were not found; download the template and copy its header row",
        detail={"missing_columns": [c.header for c in COLUMNS]}, rows=HEADER_SEARCH_ROWS,
    )  # fmt: skip


def parse_entries(
    sheet: str, rows: list[tuple[int, dict[str, str]]], context_for: Callable[[str | None], Context]
) -> tuple[list[ParsedEntry], list[CellProblem]]:
    """Rows as entry drafts, and every problem found in them, each at its row and column."""
    problems: list[CellProblem] = []
    letters = {c.header: column_letter(i) for i, c in enumerate(COLUMNS)}

    def report(row: int, header: str, problem: str, problem_zh: str) -> None:
        problems.append(
            CellProblem(sheet, row, letters.get(header, "?"), header, problem, problem_zh)
        )

    parsed: list[ParsedEntry] = []
    for group in _groups(rows, report):
        entry = _build_entry(group, report)
        if entry is None:
            continue
        for problem in validate_entry(entry.draft, context_for(entry.code)):
            row, header = _locate(problem, entry)
            report(row, header, problem.message, problem.message_zh)
        parsed.append(entry)
    return parsed, problems


def cell_problem(sheet: str, row: int, header: str, problem: str, problem_zh: str) -> CellProblem:
    letter = next(column_letter(i) for i, c in enumerate(COLUMNS) if c.header == header)
    return CellProblem(sheet, row, letter, header, problem, problem_zh)


def refuse_file(problems: list[CellProblem]) -> None:
    """All or nothing: a file with any problem imports nothing, and its report names them all."""
    if not problems:
        return
    problems.sort(key=lambda p: (p.row, p.column))
    raise InvalidInput(
        "the catalog file has {problems_count} problem(s); nothing was imported",
        # The first ones, in file order: enough to start correcting, bounded in size.
        detail=[p.as_dict() for p in problems[:MAX_PROBLEMS_SHOWN]],
        error_code="import_rejected",
        problems_count=len(problems),
    )


def _groups(
    rows: list[tuple[int, dict[str, str]]], report: Any
) -> Iterator[list[tuple[int, dict[str, str]]]]:
    """Consecutive rows of one resource: a row with a resource name or code starts a new one."""
    group: list[tuple[int, dict[str, str]]] = []
    for number, row in rows:
        key = row.get("资源代码") or row.get("资源名称")
        if group and key and key != (group[0][1].get("资源代码") or group[0][1].get("资源名称")):
            yield group
            group = []
        if not group and not key:
            report(
                number,
                "资源名称",
                "the first row of a resource names it",
                "资源的第一行应填写资源名称",
            )
            continue
        group.append((number, row))
    if group:
        yield group


def _build_entry(group: list[tuple[int, dict[str, str]]], report: Any) -> ParsedEntry | None:
    first_row, first = group[0]
    ok = True
    resource: dict[str, Any] = {}
    for column in (c for c in COLUMNS if c.level == "resource"):
        value = first.get(column.header, "")
        for number, row in group[1:]:
            other = row.get(column.header, "")
            if other and other != value:
                report(
                    number,
                    column.header,
                    f"differs from row {first_row} of the same resource",
                    f"与同一资源第{first_row}行的取值不一致",
                )
                ok = False
        converted, error = _convert(column, value)
        if error:
            report(first_row, column.header, *error)
            ok = False
        elif converted is not None:
            resource[column.field] = converted
    items: list[dict[str, Any]] = []
    for number, row in group:
        item: dict[str, Any] = {}
        for column in (c for c in COLUMNS if c.level == "item"):
            converted, error = _convert(column, row.get(column.header, ""))
            if error:
                report(number, column.header, *error)
                ok = False
            elif converted is not None:
                item[column.field] = converted
        items.append(item)
    if not ok:  # the cells already reported; a schema check now would only repeat them
        return None
    code = resource.pop("code", None)
    try:
        draft = EntryDraft.model_validate({**resource, "items": items})
    except ValidationError as error:
        for problem in error.errors():
            row_number, header = _locate_pydantic(problem["loc"], first_row, [n for n, _ in group])
            report(row_number, header, problem["msg"], "缺少必填内容或格式不正确")
        return None
    return ParsedEntry(code, draft, first_row, [n for n, _ in group])


def _convert(column: Column, value: str) -> tuple[Any, tuple[str, str] | None]:
    if value == "":
        return None, None
    kind = column.annotation
    if kind is bool:
        lowered = value.lower()
        if lowered in YES:
            return True, None
        if lowered in NO:
            return False, None
        return None, (f"{value!r} is not 是 or 否", f"{value} 应填写“是”或“否”")
    if column.field in ("length", "precision"):
        try:
            return int(float(value)), None
        except ValueError:
            return None, (f"{value!r} is not a whole number", f"{value} 不是整数")
    if column.field in ("related_codes", "allowed_values"):
        return [c.strip() for c in value.replace("；", ";").split(";") if c.strip()], None
    enum_type = enum_of(kind)
    if enum_type is not None:
        try:
            return parse_term(enum_type, value).value, None
        except ValueError:
            allowed = "、".join(label_zh(m) for m in enum_type)
            return None, (
                f"{value!r} is not allowed here; use one of: {allowed}",
                f"{value} 不在可选范围内，应为：{allowed}",
            )
    return value, None


def enum_of(kind: Any) -> Any:
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        return kind
    for arg in getattr(kind, "__args__", ()):
        if isinstance(arg, type) and issubclass(arg, StrEnum):
            return arg
    return None


def _locate(problem: Problem, entry: ParsedEntry) -> tuple[int, str]:
    """The row and column of a validation problem's field, e.g. items[2].legal_basis."""
    if problem.field.startswith("items["):
        index = int(problem.field[6 : problem.field.index("]")])
        field = problem.field.split(".", 1)[1] if "." in problem.field else "name"
        row = entry.item_rows[index] if index < len(entry.item_rows) else entry.first_row
        return row, _header_of("item", field)
    field = problem.field.split("[", 1)[0]
    return entry.first_row, _header_of("resource", field)


def _locate_pydantic(loc: tuple[Any, ...], first_row: int, rows: list[int]) -> tuple[int, str]:
    if loc and loc[0] == "items" and len(loc) > 2 and isinstance(loc[1], int):
        return rows[loc[1]], _header_of("item", str(loc[2]))
    return first_row, _header_of("resource", str(loc[0]) if loc else "name")


def _header_of(level: str, field: str) -> str:
    for column in COLUMNS:
        if column.level == level and column.field == field:
            return column.header
    return "资源名称" if level == "resource" else "信息项标识"


def entry_rows(code: str | None, draft: EntryDraft, language: str = "zh") -> Iterable[list[str]]:
    """The template rows of one entry, for export; vocabulary as Chinese labels or as codes."""
    resource = draft.model_dump(mode="json", exclude={"items"})
    resource["code"] = code or ""
    for index, item in enumerate(draft.model_dump(mode="json")["items"]):
        row = []
        for column in COLUMNS:
            if column.level == "resource":
                value = resource.get(column.field) if index == 0 else None
            else:
                value = item.get(column.field)
            row.append(_cell_text(value, column, language))
        yield row


def _cell_text(value: Any, column: Column, language: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return ("是" if value else "否") if language == "zh" else ("yes" if value else "no")
    if isinstance(value, list):
        return ";".join(value)
    kind = enum_of(column.annotation)
    if kind is None:  # free text stays as written
        return str(value)
    return label_zh(kind(value)) if language == "zh" else str(value)


def choices_of(column: Column, language: str) -> list[str] | None:
    """The words a controlled column takes, as the reader writes them; None for free text."""
    kind = enum_of(column.annotation)
    if kind is not None:
        return [label_zh(m) if language == "zh" else m.value for m in kind]
    if column.annotation is bool:
        return ["是", "否"] if language == "zh" else ["yes", "no"]
    return None


def note_in(column: Column, language: str) -> str:
    """What to write in a column, in ``language``: its vocabulary, or its note."""
    choices = choices_of(column, language)
    if choices is not None:
        return "/".join(choices)
    return Message(column.note).in_language(language) if column.note else ""


def write_csv(rows: Iterable[list[str]], language: str = "zh") -> bytes:
    return csv_document([c.header_in(language) for c in COLUMNS], rows)
