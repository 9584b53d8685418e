"""Conforming extracted data to the catalog's data items (names and types).

A column the catalog lists but the source lacks, a column the catalog does not list, or a column
of another kind (text where the catalog says date, …) is *drift*: the run fails and names the
columns. A value that cannot be stored as its item's type (a malformed date, text in a number
column) makes a row *bad*: bad rows are set aside for the provider to answer (R19), and a run
fails if their share exceeds its threshold.

A row that can be stored is stored, however wrong its values: an empty required value or a text
longer than declared is a quality finding about a row that exists, for validation to report and
for comparisons to see, never a reason to drop the row.
"""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from exchange.i18n import Message, joined

ROW_HASH = "_row_hash"
# Where a row came from, added by the file extractor; not data, never stored.
SOURCE_FILE = "_source_file"
SOURCE_LINE = "_source_line"
LOCATION = frozenset({SOURCE_FILE, SOURCE_LINE})
TRUE_WORDS = ("true", "1", "是", "y", "yes")
FALSE_WORDS = ("false", "0", "否", "n", "no")
PATTERNS = {
    "integer": r"^[+-]?\d+$",
    "decimal": r"^[+-]?(\d+(\.\d*)?|\.\d+)$",
    "date": r"^\d{4}-\d{2}-\d{2}$",
    "datetime": r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?$",
}


class ItemSpec(Protocol):
    name: str
    label: str
    data_type: str
    length: int | None
    precision: int | None


@dataclass
class Drift:
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    mismatched: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.missing or self.added or self.mismatched)

    def describe(self) -> Message:
        parts = []
        if self.missing:
            parts.append(Message("missing columns: {columns}", columns=", ".join(self.missing)))
        if self.added:
            parts.append(
                Message("columns not in the catalog: {columns}", columns=", ".join(self.added))
            )
        if self.mismatched:
            listed = ", ".join(f"{k} ({v})" for k, v in self.mismatched.items())
            parts.append(Message("columns of another type: {columns}", columns=listed))
        return joined(parts)

    def as_dict(self) -> dict[str, Any]:
        return {"missing": self.missing, "added": self.added, "mismatched": self.mismatched}


@dataclass(frozen=True)
class SetAside:
    """A row that cannot be stored: its line in the source (or ordinal), file, reasons, values."""

    line: int
    file: str | None
    problems: list[str]
    data: dict[str, Any]


@dataclass
class Conformed:
    table: pa.Table
    rejected: list[SetAside]
    drift: Drift
    rows_read: int

    @property
    def rejected_share(self) -> float:
        return len(self.rejected) / self.rows_read if self.rows_read else 0.0


SIMPLE_TYPES = {
    "string": pa.string(),
    "integer": pa.int64(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
    "boolean": pa.bool_(),
}


def arrow_type(item: ItemSpec) -> pa.DataType:
    if item.data_type == "decimal":
        return pa.decimal128(min(item.length or 38, 38), item.precision or 0)
    return SIMPLE_TYPES[item.data_type]


def target_schema(items: Sequence[ItemSpec], *, row_hash: bool) -> pa.Schema:
    fields = [pa.field(item.name, arrow_type(item)) for item in items]
    if row_hash:
        fields.append(pa.field(ROW_HASH, pa.string()))
    return pa.schema(fields)


def _compatible(source: pa.DataType, target: str) -> bool:
    if (
        target == "string"
        or pa.types.is_string(source)
        or pa.types.is_large_string(source)
        or pa.types.is_null(source)
    ):
        return True
    checks = {
        "integer": pa.types.is_integer,
        "decimal": lambda t: (
            pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
        ),
        "date": lambda t: pa.types.is_date(t) or pa.types.is_timestamp(t),
        "datetime": lambda t: pa.types.is_timestamp(t) or pa.types.is_date(t),
        "boolean": pa.types.is_boolean,
    }
    return bool(checks[target](source))


def match_columns(
    data: pa.Table, items: Sequence[ItemSpec], ignore: frozenset[str] = frozenset()
) -> tuple[dict[str, str], Drift]:
    """Source column for each item (by name, case-insensitively, or by Chinese label), and drift.
    ``ignore`` names source columns that are not data, such as an incremental source's watermark."""
    by_key = {column.strip().lower(): column for column in data.column_names}
    mapping: dict[str, str] = {}
    drift = Drift()
    for item in items:
        column = by_key.get(item.name.lower()) or by_key.get(item.label.strip().lower())
        if column is None:
            drift.missing.append(item.name)
            continue
        mapping[item.name] = column
        source_type = data.schema.field(column).type
        if not _compatible(source_type, item.data_type):
            drift.mismatched[item.name] = f"catalog {item.data_type}, source {source_type}"
    used = set(mapping.values())
    drift.added = [
        c
        for c in data.column_names
        if c not in used and c != ROW_HASH and c not in ignore and c not in LOCATION
    ]
    return mapping, drift


def conform(
    data: pa.Table,
    items: Sequence[ItemSpec],
    *,
    row_hash: bool = False,
    ignore: frozenset[str] = frozenset(),
) -> Conformed:
    mapping, drift = match_columns(data, items, ignore)
    if drift:
        return Conformed(pa.table({}), [], drift, data.num_rows)
    columns: list[pa.Array] = []
    problems: list[tuple[pa.Array, str]] = []
    for item in items:
        values, invalid, problem = _convert(data.column(mapping[item.name]).combine_chunks(), item)
        if invalid is not None:
            problems.append((pc.fill_null(invalid, False), f"{item.name}: {problem}"))
        columns.append(values)
    bad = _any(problems, data.num_rows)
    schema = target_schema(items, row_hash=False)
    table = pa.Table.from_arrays(columns, schema=schema)
    if pc.any(bad).as_py():  # filtering copies every column: most loads have nothing to drop
        table = table.filter(pc.invert(bad))
    names = {column: item for item, column in mapping.items()}
    rejected = _rejected_rows(data, bad, problems, names)
    if row_hash:
        table = table.append_column(ROW_HASH, pa.array(row_hashes(table), pa.string()))
    return Conformed(table, rejected, drift, data.num_rows)


def _any(problems: list[tuple[pa.Array, str]], rows: int) -> pa.Array:
    result = pc.invert(pc.is_null(pa.nulls(rows, pa.bool_())))  # all false
    for mask, _ in problems:
        result = pc.or_(result, mask)
    return result


def _rejected_rows(
    data: pa.Table, bad: pa.Array, problems: list[tuple[pa.Array, str]], names: dict[str, str]
) -> list[SetAside]:
    """The bad rows, their values named by the catalog's items (``names``: column → item)."""
    indices = pc.indices_nonzero(bad).to_pylist()
    if not indices:
        return []
    taken = data.take(indices).to_pylist()
    masks = [(mask.to_pylist(), text) for mask, text in problems]
    rows = []
    for position, index in enumerate(indices):
        values = taken[position]
        line, file = values.pop(SOURCE_LINE, None), values.pop(SOURCE_FILE, None)
        reasons = [text for flags, text in masks if flags[index]]
        rows.append(
            SetAside(
                line=index + 1 if line is None else int(line),
                file=file,
                problems=reasons,
                data={names.get(k, k): _jsonable(v) for k, v in values.items()},
            )
        )
    return rows


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime | Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _convert(column: pa.Array, item: ItemSpec) -> tuple[pa.Array, pa.Array | None, str | None]:
    """The column as the item's type, the mask of values that do not fit, and why."""
    target = arrow_type(item)
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        text = pc.utf8_trim_whitespace(column.cast(pa.string()))
        empty = pc.equal(text, "")
        if pc.any(empty).as_py():  # if_else copies the column: only when there is a blank
            text = pc.if_else(empty, pa.scalar(None, pa.string()), text)
        return _from_text(text, item, target)
    if pa.types.is_null(column.type):
        return pa.nulls(len(column), target), None, None
    if item.data_type == "string":
        return column.cast(pa.string()), None, None
    try:
        return column.cast(target), None, None
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _per_value(column.to_pylist(), item, target)


def _from_text(
    text: pa.Array, item: ItemSpec, target: pa.DataType
) -> tuple[pa.Array, pa.Array | None, str | None]:
    kind = item.data_type
    if kind == "string":
        return text, None, None
    if kind == "boolean":
        lowered = pc.utf8_lower(text)
        is_true = pc.is_in(lowered, pa.array(TRUE_WORDS))
        is_false = pc.is_in(lowered, pa.array(FALSE_WORDS))
        valid = pc.or_(is_true, is_false)
        values = pc.if_else(valid, is_true, pa.scalar(None, pa.bool_()))
        return values, pc.and_not(pc.is_valid(text), valid), "not 是/否 or true/false"
    if kind in _STRICT_CASTS and not _may_be_looser_than_pattern(text, kind):
        try:  # the cast accepts nothing the pattern would not, so a clean column skips it
            return text.cast(target), None, None
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass  # some value does not fit: the pattern finds which
    matches = pc.match_substring_regex(text, PATTERNS[kind])
    candidate = pc.if_else(matches, text, pa.scalar(None, pa.string()))
    if kind == "datetime":
        candidate = pc.replace_substring(candidate, " ", "T")
    try:
        values = candidate.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _per_value(
            candidate.to_pylist(), item, target, invalid_from=pc.and_not(pc.is_valid(text), matches)
        )
    invalid = pc.and_not(pc.is_valid(text), pc.fill_null(matches, False))
    return values, invalid, f"not a valid {kind}"


# Arrow's cast from text accepts exactly what PATTERNS do for these kinds, except values with
# the letter given (in either case): hexadecimal integers (0x1F) and decimals with an exponent
# (1e3). A column without that letter is cast without matching the pattern.
_STRICT_CASTS: dict[str, str | None] = {"integer": "x", "decimal": "e", "date": None}


def _may_be_looser_than_pattern(text: pa.Array, kind: str) -> bool:
    letter = _STRICT_CASTS[kind]
    if letter is None or len(text) == 0:
        return False
    # The characters' buffer, read in place: a hit outside the array's slice only sends the
    # column the slower way.
    characters = np.frombuffer(text.buffers()[2] or b"", dtype=np.uint8)
    return bool(np.any((characters | 0x20) == ord(letter)))


def _per_value(
    values: list[Any], item: ItemSpec, target: pa.DataType, invalid_from: pa.Array | None = None
) -> tuple[pa.Array, pa.Array | None, str | None]:
    """The slow path, for the rare column whose values pass the pattern but not the cast."""
    parsers: dict[str, Callable[[Any], Any]] = {
        "integer": int,
        "decimal": lambda v: Decimal(str(v)),
        "date": lambda v: v if isinstance(v, date) else date.fromisoformat(str(v)),
        "datetime": lambda v: v if isinstance(v, datetime) else datetime.fromisoformat(str(v)),
    }
    parse = parsers.get(item.data_type, lambda v: v)
    converted: list[Any] = []
    invalid: list[bool] = []
    for value in values:
        if value is None:
            converted.append(None)
            invalid.append(False)
            continue
        try:
            converted.append(parse(value))
            invalid.append(False)
        except (ValueError, TypeError, InvalidOperation, ArithmeticError):
            converted.append(None)
            invalid.append(True)
    try:
        array = pa.array(converted, target)
    except (pa.ArrowInvalid, ArithmeticError):
        array = pa.array([None] * len(converted), target)
        invalid = [v is not None for v in values]
    mask = pa.array(invalid)
    if invalid_from is not None:
        mask = pc.or_(mask, pc.fill_null(invalid_from, False))
    return array, mask, f"not a valid {item.data_type}"


def row_hashes(table: pa.Table) -> list[str]:
    """R10: a SHA-256 per row over its values, so that a later change to a stored row shows."""
    names = table.column_names
    return [
        hashlib.sha256(orjson.dumps([_jsonable(row[name]) for name in names])).hexdigest()
        for row in table.to_pylist()
    ]
