"""Comparing two departments' tables (R18): join on keys, compare attribute pairs after
normalising, and list mismatched values and keys present on one side only. Pure Arrow: the
platform's tables are Arrow already, and the join and the comparisons run in C++."""

from dataclasses import dataclass, field
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

    key_names = [f"_k{i}" for i in range(len(spec.keys))]

    def side(table: "pa.Table", names: list[str], prefix: str) -> "pa.Table":
        columns = {
            k: normalised(table[name], spec.normalise)
            for k, name in zip(key_names, names, strict=True)
        }
        columns |= {f"{prefix}{i}": table[a.left if prefix == "_l" else a.right]
                    for i, a in enumerate(spec.attributes)}  # fmt: skip
        columns |= {f"{prefix}_key{i}": table[name] for i, name in enumerate(names)}
        naming = spec.names[0 if prefix == "_l" else 1]
        columns[f"{prefix}_name"] = (
            table[naming] if naming else pa.nulls(table.num_rows, pa.string())
        )
        columns[f"{prefix}_present"] = pa.repeat(True, table.num_rows)
        return pa.table(columns)

    joined = side(left, [k for k, _ in spec.keys], "_l").join(
        side(right, [k for _, k in spec.keys], "_r"), key_names, join_type="full outer",
        coalesce_keys=True,
    )  # fmt: skip
    in_left = pc.fill_null(joined["_l_present"], False)
    in_right = pc.fill_null(joined["_r_present"], False)
    both = pc.and_(in_left, in_right)
    findings = Findings()
    findings.left_only = int(pc.sum(pc.and_not(in_left, in_right)).as_py() or 0)
    findings.right_only = int(pc.sum(pc.and_not(in_right, in_left)).as_py() or 0)
    findings.matched = int(pc.sum(both).as_py() or 0)
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
            # Values equal as stored are equal normalised: normalise only the rows that differ.
            differing = pc.indices_nonzero(unequal)
            still = pc.not_equal(
                normalised(pc.take(left, differing), how),
                normalised(pc.take(right, differing), how),
            )
            flags = unequal.to_numpy(zero_copy_only=False).copy()
            flags[differing.to_numpy()] = pc.fill_null(still, False).to_numpy(zero_copy_only=False)
            unequal = pa.array(flags)
    one_missing = pc.xor(pc.is_null(left), pc.is_null(right))
    return pc.or_(pc.fill_null(unequal, False), one_missing)


def _rows(
    joined: "pa.Table", spec: ComparisonSpec, masks: list[Any], in_left: Any, in_right: Any
) -> list[dict[str, Any]]:
    import pyarrow as pa
    import pyarrow.compute as pc

    rows: list[dict[str, Any]] = []

    def records(mask: Any, columns: list[str]) -> list[dict[str, Any]]:
        """The rows the mask selects, up to the findings still wanted: taken all at once, as a
        position looked up one by one walks the joined table's chunks each time."""
        wanted = pc.indices_nonzero(mask).to_pylist()[: max(0, MAX_FINDINGS - len(rows))]
        if not wanted:
            return []
        names = ["_l_name", "_r_name", *columns]
        taken: list[dict[str, Any]] = (
            joined.select(names).take(pa.array(wanted, pa.int64())).to_pylist()
        )
        return taken

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
