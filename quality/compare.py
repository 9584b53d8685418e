"""Comparing two departments' tables (R18): join on keys, compare attribute pairs after
normalising, and list mismatched values and keys present on one side only. The platform's
tables are Arrow already: DuckDB joins them where they lie and picks the rows that differ as
stored, and Arrow judges those few under the tolerances and normalisation."""

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from exchange.normalising import Normalisation, normalised

if TYPE_CHECKING:
    import pyarrow as pa

# Findings kept in full per run; the counts are always exact.
MAX_FINDINGS = 5_000


@dataclass(frozen=True)
class AttributePair:
    left: str
    right: str
    tolerance: float | None = None  # numbers: largest difference still equal; dates: days


@dataclass(frozen=True)
class ComparisonSpec:
    keys: tuple[tuple[str, str], ...]
    attributes: tuple[AttributePair, ...]
    normalise: frozenset[Normalisation] = frozenset()
    # The items naming a row on each side (企业名称), shown beside the keys of findings.
    names: tuple[str | None, str | None] = (None, None)


@dataclass
class Findings:
    matched: int = 0
    mismatched_rows: int = 0
    mismatches: dict[str, int] = field(default_factory=dict)  # per left attribute
    left_only: int = 0
    right_only: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)  # the first MAX_FINDINGS

    @property
    def total(self) -> int:
        return sum(self.mismatches.values()) + self.left_only + self.right_only


def compare_tables(left: "pa.Table", right: "pa.Table", spec: ComparisonSpec) -> Findings:
    import pyarrow as pa
    import pyarrow.compute as pc

    pairs, joined_rows = _candidate_positions(left, right, spec)
    joined = pa.table(_taken(left, pairs["l"], spec, "_l") | _taken(right, pairs["r"], spec, "_r"))
    in_left = pc.is_valid(pairs["l"])
    in_right = pc.is_valid(pairs["r"])
    both = pc.and_(in_left, in_right)
    findings = Findings()
    findings.left_only = int(pc.sum(pc.and_not(in_left, in_right)).as_py() or 0)
    findings.right_only = int(pc.sum(pc.and_not(in_right, in_left)).as_py() or 0)
    findings.matched = joined_rows - findings.left_only - findings.right_only
    any_mismatch = pa.repeat(False, joined.num_rows)
    masks = []
    for i, pair in enumerate(spec.attributes):
        mask = pc.and_(both, _differs(joined[f"_l{i}"], joined[f"_r{i}"], pair, spec.normalise))
        masks.append(mask)
        findings.mismatches[pair.left] = int(pc.sum(mask).as_py() or 0)
        any_mismatch = pc.or_(any_mismatch, mask)
    findings.mismatched_rows = int(pc.sum(any_mismatch).as_py() or 0)
    findings.rows = _rows(joined, spec, masks, in_left, in_right)
    return findings


def _candidate_positions(
    left: "pa.Table", right: "pa.Table", spec: ComparisonSpec
) -> tuple["pa.Table", int]:
    """The rows of the full outer join on the normalised keys that may be findings, as row
    positions ``l`` and ``r`` (null on the side a key is missing from), and how many rows the
    join has. A row is a candidate when a key is on one side only or an attribute differs as
    stored: values equal as stored are equal under every tolerance and normalisation, so only
    the candidates are taken out and judged exactly by ``_differs``.

    DuckDB's partitioned hash join keeps the cost in proportion to the rows; taking every
    joined row's values out in the join's order grows 20x for 10x the rows, as each lookup
    lands somewhere new in memory."""
    import numpy as np
    import pyarrow as pa

    def side(table: "pa.Table", prefix: str) -> "pa.Table":
        on_left = prefix == "l"
        names = [pair[0 if on_left else 1] for pair in spec.keys]
        columns = {f"k{i}": normalised(table[name], spec.normalise) for i, name in enumerate(names)}
        columns[prefix] = pa.array(np.arange(table.num_rows))
        for i, pair in enumerate(spec.attributes):
            columns[f"v{i}"] = table[pair.left if on_left else pair.right]
        return pa.table(columns)

    lt, rt = side(left, "l"), side(right, "r")
    differs = ["l IS NULL", "r IS NULL"]
    for i in range(len(spec.attributes)):
        lt, rt, test = _comparable_as_stored(lt, rt, f"v{i}")
        differs.append(test)
    on = " AND ".join(f"lt.k{i} = rt.k{i}" for i in range(len(spec.keys)))
    connection = _engine().cursor()
    try:
        connection.register("lt", lt)
        connection.register("rt", rt)
        # One pass: the join's size, and the positions of its candidate rows.
        result = connection.sql(
            # Only generated names (k0, v0, …) reach the text; no value does.
            f"SELECT count(*) AS joined, list({{'l': l, 'r': r}}) FILTER ({' OR '.join(differs)})"  # noqa: S608
            f" AS candidates FROM lt FULL OUTER JOIN rt ON {on}"
        ).to_arrow_table()
    finally:
        connection.close()
    candidates = result["candidates"][0].values
    if candidates is None:  # no candidate: every joined row matches, or no row at all
        candidates = pa.array([], pa.struct([("l", pa.int64()), ("r", pa.int64())]))
    pairs = pa.table({"l": candidates.field("l"), "r": candidates.field("r")})
    return pairs, int(result["joined"][0].as_py())


def _comparable_as_stored(
    lt: "pa.Table", rt: "pa.Table", name: str
) -> tuple["pa.Table", "pa.Table", str]:
    """The two sides' column ``name`` made comparable by DuckDB, and the SQL test that they
    differ as stored. Columns of different types are compared as text (equal text means equal
    values); a type without a text form makes every row a candidate. NaN is always a candidate,
    as DuckDB holds NaN equal to NaN where Arrow does not."""
    import pyarrow as pa

    test = f"lt.{name} IS DISTINCT FROM rt.{name}"
    left, right = lt[name], rt[name]
    if left.type != right.type:
        try:
            left, right = left.cast(pa.string()), right.cast(pa.string())
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
            return lt.drop_columns([name]), rt.drop_columns([name]), "TRUE"
        lt = lt.set_column(lt.schema.get_field_index(name), name, left)
        rt = rt.set_column(rt.schema.get_field_index(name), name, right)
    if pa.types.is_floating(left.type):
        test += f" OR isnan(lt.{name}) OR isnan(rt.{name})"
    return lt, rt, f"({test})"


def _taken(table: "pa.Table", positions: Any, spec: ComparisonSpec, prefix: str) -> dict[str, Any]:
    """One side's compared values, keys and names at the joined positions (null where absent)."""
    import pyarrow as pa

    on_left = prefix == "_l"
    wanted = {f"{prefix}{i}": a.left if on_left else a.right for i, a in enumerate(spec.attributes)}
    wanted |= {f"{prefix}_key{i}": k[0 if on_left else 1] for i, k in enumerate(spec.keys)}
    naming = spec.names[0 if on_left else 1]
    columns = {name: table[column].take(positions) for name, column in wanted.items()}
    columns[f"{prefix}_name"] = (
        table[naming].take(positions) if naming else pa.nulls(len(positions), pa.string())
    )
    return columns


@cache
def _engine() -> Any:
    """One in-memory DuckDB per process; each comparison joins on a cursor of its own."""
    import duckdb

    return duckdb.connect()


def _differs(left: Any, right: Any, pair: AttributePair, how: frozenset[Normalisation]) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    if pair.tolerance is not None and pa.types.is_temporal(left.type):
        days = pc.abs(pc.days_between(left, right))
        unequal = pc.greater(days, pa.scalar(int(pair.tolerance)))
    elif pair.tolerance is not None and (
        pa.types.is_integer(left.type)
        or pa.types.is_decimal(left.type)
        or pa.types.is_floating(left.type)
    ):
        gap = pc.abs(pc.subtract(left.cast(pa.float64()), right.cast(pa.float64())))
        unequal = pc.greater(gap, pa.scalar(float(pair.tolerance)))
    else:
        if left.type != right.type:
            left, right = left.cast(pa.string()), right.cast(pa.string())
        unequal = pc.fill_null(pc.not_equal(left, right), False)
        if how and pc.any(unequal).as_py():
            # Values equal as stored are equal normalised: normalise only the rows that differ,
            # filtered chunk by chunk (a take would first copy each whole column into one).
            still = pc.not_equal(
                normalised(left.filter(unequal), how), normalised(right.filter(unequal), how)
            )
            flags = unequal.to_numpy(zero_copy_only=False).copy()
            flags[flags] = pc.fill_null(still, False).to_numpy(zero_copy_only=False)
            unequal = pa.array(flags)
    one_missing = pc.xor(pc.is_null(left), pc.is_null(right))
    return pc.or_(pc.fill_null(unequal, False), one_missing)


def _rows(
    joined: "pa.Table", spec: ComparisonSpec, masks: list[Any], in_left: Any, in_right: Any
) -> list[dict[str, Any]]:
    import pyarrow.compute as pc

    rows: list[dict[str, Any]] = []

    def records(mask: Any, columns: list[str]) -> list[dict[str, Any]]:
        """The rows the mask selects, up to the findings still wanted: filtered chunk by chunk,
        as a take (or a position looked up one by one) would copy or walk whole columns."""
        still_wanted = max(0, MAX_FINDINGS - len(rows))
        if not still_wanted:
            return []
        names = ["_l_name", "_r_name", *columns]
        selected: list[dict[str, Any]] = (
            joined.select(names).filter(mask).slice(0, still_wanted).to_pylist()
        )
        return selected

    def name_of(record: dict[str, Any]) -> Any:
        return record["_l_name"] if record["_l_name"] is not None else record["_r_name"]

    def key_columns(prefix: str) -> list[str]:
        return [f"{prefix}_key{i}" for i in range(len(spec.keys))]

    def keys_of(prefix: str, record: dict[str, Any]) -> dict[str, Any]:
        names = [k[0] if prefix == "_l" else k[1] for k in spec.keys]
        return {name: _plain(record[f"{prefix}_key{i}"]) for i, name in enumerate(names)}

    for i, (pair, mask) in enumerate(zip(spec.attributes, masks, strict=True)):
        for record in records(mask, [*key_columns("_l"), f"_l{i}", f"_r{i}"]):
            rows.append({
                "kind": "mismatch", "attribute": pair.left, "right_attribute": pair.right,
                "key": keys_of("_l", record), "name": name_of(record),
                "left": _plain(record[f"_l{i}"]), "right": _plain(record[f"_r{i}"]),
            })  # fmt: skip
    for kind, mask, prefix in (
        ("left_only", pc.and_not(in_left, in_right), "_l"),
        ("right_only", pc.and_not(in_right, in_left), "_r"),
    ):
        for record in records(mask, key_columns(prefix)):
            rows.append({"kind": kind, "key": keys_of(prefix, record), "name": name_of(record)})
    # The join's order varies from run to run; reports should not.
    return sorted(rows, key=lambda r: (r["kind"], r.get("attribute", ""), str(r["key"])))


def _plain(value: Any) -> Any:
    return (
        value.isoformat()
        if hasattr(value, "isoformat")
        else (str(value) if hasattr(value, "as_tuple") else value)
    )
