"""Serving items masked (R3, R14): the catalog's rule of each masked item applied to a whole Arrow
table at once, in DuckDB's vectorised engine (one SQL projection, every column in one pass and
on every core), before the data reaches any format, page or change feed.

Pseudonyms are ``sha256(key || value)`` cut to 16 hex digits, with the grant's own 128-bit key:
the same value reads the same throughout one grant, so the consumer can join its own tables on
it, and differently under any other grant, so two consumers cannot match their copies. Without
the key a pseudonym cannot be computed from a guessed value.
"""

import threading
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from catalog.masking import MaskRule

if TYPE_CHECKING:
    import pyarrow as pa

PSEUDONYM_DIGITS = 16
_ENGINE_LOCK = threading.Lock()


@cache
def _engine() -> Any:
    """One in-memory DuckDB per process; each masking runs on a cursor of its own (opening a
    database costs 20 ms, a cursor one)."""
    import duckdb

    return duckdb.connect()


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _expression(column: str, rule: MaskRule, arrow_type: "pa.DataType") -> str:
    import pyarrow as pa

    value = _quoted(column)
    text = f"CAST({value} AS VARCHAR)"
    if rule.kind == "keep":
        kept = rule.first + rule.last
        tail = f"right({text}, {rule.last})" if rule.last else "''"
        return (
            f"CASE WHEN length({text}) <= {kept} THEN repeat('*', length({text})) "
            f"ELSE left({text}, {rule.first}) || repeat('*', length({text}) - {kept}) "
            f"|| {tail} END"
        )
    if rule.kind == "pseudonym":
        return f"left(sha256($key || {text}), {PSEUDONYM_DIGITS})"
    if rule.kind in ("year", "month"):
        if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
            return f"left({value}, {4 if rule.kind == 'year' else 7})"
        return f"strftime({value}, '{'%Y' if rule.kind == 'year' else '%Y-%m'}')"
    if rule.kind == "range":
        assert rule.width is not None
        width = str(rule.width)
        # Bounds written with as many decimals as the width has: [21000, 22000), [1.5, 2.0).
        places = max(0, -int(rule.width.as_tuple().exponent))
        shown = "BIGINT" if places == 0 else f"DECIMAL(38, {places})"
        low = f"floor(CAST({value} AS DOUBLE) / {width}) * {width}"
        return (
            f"'[' || CAST(CAST({low} AS {shown}) AS VARCHAR) || ', ' || "
            f"CAST(CAST({low} + {width} AS {shown}) AS VARCHAR) || ')'"
        )
    return f"CASE WHEN {value} IS NULL THEN NULL ELSE '***' END"


def mask(table: "pa.Table", rules: Mapping[str, MaskRule], key: str | None) -> "pa.Table":
    """``table`` with each column named in ``rules`` masked; the others as they are."""
    import pyarrow as pa

    masked = [name for name in table.column_names if name in rules]
    if not masked:
        return table
    if key is None and any(rules[name].kind == "pseudonym" for name in masked):
        raise ValueError("pseudonyms need the grant's key")
    done = {name: column for name in masked
            if (column := _quick(table[name], rules[name], key)) is not None}  # fmt: skip
    rest = [name for name in masked if name not in done]
    if rest:
        computed = _in_duckdb(table.select(rest), rules, key)
        done |= {name: computed[name] for name in rest}
    columns = [done[name] if name in done else table[name] for name in table.column_names]
    # Masked items are plain strings whatever their type; the others keep theirs.
    fields = [
        pa.field(name, pa.string()) if name in done else table.schema.field(name)
        for name in table.column_names
    ]
    return pa.Table.from_arrays([c.cast(f.type) for c, f in zip(columns, fields, strict=True)],
                                schema=pa.schema(fields))  # fmt: skip


def _in_duckdb(table: "pa.Table", rules: Mapping[str, MaskRule], key: str | None) -> "pa.Table":
    projection = ", ".join(
        f"{_expression(name, rules[name], table.schema.field(name).type)} AS {_quoted(name)}"
        for name in table.column_names
    )
    with _ENGINE_LOCK:
        cursor = _engine().cursor()
    try:
        cursor.register("served", table)
        result: pa.Table = cursor.sql(
            # Names are quoted identifiers and rules parsed numbers; the key is a parameter.
            f"SELECT {projection} FROM served",  # noqa: S608
            params={"key": key} if "$key" in projection else None,
        ).to_arrow_table()
    finally:
        cursor.close()
    return result


# Below this share of distinct values in a random sample (an all-distinct column gives 1.0; one
# whose values each occur 100 times about 0.63), pseudonyms are computed once per value.
_REPEATED = 0.8
_SAMPLE = 10_000


def _quick(column: Any, rule: MaskRule, key: str | None) -> Any:
    """The masked column by a shortcut that gives exactly what the SQL would, or None:
    ``keep`` over strings all of one length is one slice replacement; ``pseudonym`` over values
    that repeat hashes each distinct value once."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(column) == 0:
        return None
    if rule.kind == "keep" and pa.types.is_string(column.type):
        lengths = pc.min_max(pc.utf8_length(column))
        shortest, longest = lengths["min"].as_py(), lengths["max"].as_py()
        hidden = (shortest or 0) - rule.first - rule.last
        if shortest is None or shortest != longest or hidden <= 0:
            return None
        return pc.utf8_replace_slice(column, rule.first, shortest - rule.last, "*" * hidden)
    if rule.kind == "pseudonym":
        # At random over the whole column: data often arrives sorted or patterned.
        import numpy as np

        picks = np.random.default_rng(0).integers(0, len(column), min(_SAMPLE, len(column)))
        sample = column.take(pa.array(picks))
        if pc.count_distinct(sample).as_py() > _REPEATED * len(sample):
            return None
        encoded = pc.dictionary_encode(column).combine_chunks()
        values = pa.table({"value": encoded.dictionary})
        hashed = _in_duckdb(values, {"value": rule}, key)["value"].combine_chunks()
        return pc.take(hashed, encoded.indices)
    return None


def describe(rules: Mapping[str, MaskRule], items: tuple[str, ...]) -> str:
    """The masks in force, for a header: ``id_number=keep:4:4, name=pseudonym``."""
    return ", ".join(f"{item}={rules[item].text}" for item in items if item in rules)
