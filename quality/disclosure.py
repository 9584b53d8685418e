"""What a quality report may show its reader (R22): values only of items the reader may read.

Validation and comparison runs, and the rows of quality issues, carry the values that failed a
check or differed between two departments, with the rows' keys. Those are data like any other: a
reader sees a value or a key only if it could read that item of that resource — as its provider,
through an unconditional item, or under a grant in force (the decision point answers) — or is a
data steward, whose duty is to compare the departments' data (R18). Everyone else who may open
the report sees the counts, and ``WITHHELD`` where a value would be.
"""

import copy
from collections.abc import Callable
from typing import Any

from exchange.identity.visibility import Records, sees_all
from exchange.principal import Principal

# Resource code → the data items the reader may read in it.
Readable = Callable[[str], frozenset[str]]
WITHHELD = "（不可见 withheld）"
SAMPLE_FIELDS = ("check", "description", "value")


def sees_every_value(actor: Principal) -> bool:
    return sees_all(actor, Records.VALUES_IN_REPORTS)


def comparison_report(
    report: dict[str, Any], actor: Principal, readable: Readable
) -> dict[str, Any]:
    """The run's report with what ``actor`` may not read withheld."""
    if sees_every_value(actor):
        return report
    shown = copy.deepcopy(report)
    shown["findings"] = comparison_rows(report, report["findings"], readable)
    return shown


def comparison_rows(
    report: dict[str, Any], rows: list[dict[str, Any]], readable: Readable
) -> list[dict[str, Any]]:
    left, right = readable(report["left"]), readable(report["right"])
    key_pairs = [tuple(pair) for pair in report["keys"]]
    shown = []
    for row in rows:
        row = dict(row)
        # A matched key is the same value on both sides; a one-sided one belongs to its side.
        if row["kind"] == "right_only":
            key_readable = all(pair[1] in right for pair in key_pairs)
        elif row["kind"] == "left_only":
            key_readable = all(pair[0] in left for pair in key_pairs)
        else:
            key_readable = all(pair[0] in left or pair[1] in right for pair in key_pairs)
        if not key_readable:
            row["key"] = dict.fromkeys(row["key"], WITHHELD)
        named_left, named_right = report.get("names") or [None, None]
        name_item, side = (
            (named_right, right) if row["kind"] == "right_only" else (named_left, left)
        )
        if row.get("name") is not None and name_item not in side:
            row["name"] = WITHHELD
        if row["kind"] == "mismatch":
            if row["attribute"] not in left:
                row["left"] = WITHHELD
            if row.get("right_attribute", row["attribute"]) not in right:
                row["right"] = WITHHELD
        shown.append(row)
    return shown


def validation_report(
    report: dict[str, Any], resource_code: str, actor: Principal, readable: Readable
) -> dict[str, Any]:
    """The run's report with values and keys ``actor`` may not read withheld."""
    if sees_every_value(actor):
        return report
    items = readable(resource_code)
    shown = copy.deepcopy(report)
    for check in shown["checks"]:
        values_readable = set(check["columns"]) <= items
        check["samples"] = [_sample(s, values_readable, items) for s in check["samples"]]
    return shown


def validation_rows(
    report: dict[str, Any], rows: list[dict[str, Any]], resource_code: str, readable: Readable
) -> list[dict[str, Any]]:
    """The rows of a validation issue (a check's name beside each failing sample), withheld alike."""
    items = readable(resource_code)
    columns = {check["check"]: set(check["columns"]) for check in report["checks"]}
    return [_sample(row, columns.get(row.get("check"), set()) <= items, items) for row in rows]


def _sample(sample: dict[str, Any], value_readable: bool, items: frozenset[str]) -> dict[str, Any]:
    shown = {}
    for name, value in sample.items():
        if name == "value":
            shown[name] = value if value_readable else WITHHELD
        elif name in SAMPLE_FIELDS or name == "type":
            shown[name] = value
        else:  # a key of the row
            shown[name] = value if name in items else WITHHELD
    return shown


def set_aside_rows(rows: list[dict[str, Any]], items: frozenset[str]) -> list[dict[str, Any]]:
    """Rows ingestion set aside, with the values of items the reader may not read withheld."""
    return [
        {
            **row,
            "value": {
                name: value if name in items else WITHHELD
                for name, value in (row.get("value") or {}).items()
            },
        }
        for row in rows
    ]
