"""A resource's expectation suite: generated from its catalog data items, plus what stewards add.

The suite is the platform's own list of :class:`Check` values; :mod:`quality.runner` hands it to
Great Expectations. Generated checks follow the catalog: the type of each item, required items
present, keys unique, strings within their length, values within the item's value set (值域),
values of the item's format (check characters of identifiers, phone numbers, no future dates).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from catalog.vocab import DataType, ValueFormat
from exchange.errors import InvalidInput
from exchange.i18n import Message

# The kinds a check may have; stewards may add any of them but the type checks.
KINDS = {
    "type": "values are of the catalog's type",
    "not_null": "a value is present in every row",
    "unique": "no value appears twice",
    "compound_unique": "no combination of values appears twice",
    "max_length": "no value is longer than the catalog's length",
    "in_set": "values are in the value set",
    "matches": "values match the pattern",
    "between": "values are within the range",
    "format": "values have the format",
    "not_future": "no value is after the day of the check",
}
STEWARD_KINDS = frozenset(KINDS) - {"type", "compound_unique"}
# Checks a snapshot cannot be served without: its type and keys are what readers rely on.
BLOCKING_BY_DEFAULT = frozenset({"type", "compound_unique"})


@dataclass(frozen=True)
class Check:
    kind: str
    columns: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict, hash=False)
    blocking: bool = False
    origin: str = "catalog"  # or "steward"

    @property
    def name(self) -> str:
        detail = ",".join(f"{k}={v}" for k, v in sorted(self.params.items()) if k != "values")
        return f"{self.kind}({'+'.join(self.columns)}{'; ' + detail if detail else ''})"

    def describe(self) -> str:
        return f"{'、'.join(self.columns)}: {KINDS[self.kind]}"


def check_message(kind: str, columns: Sequence[str]) -> Message:
    """What a check requires, in the reader's language: "uscc: values have the format"."""
    return Message("{columns}: {rule}", columns="、".join(columns), rule=Message(KINDS[kind]))


def naming_item(items: Sequence[Any]) -> str | None:
    """The item that names a row to a person (企业名称, 姓名, …_name), shown beside its key in
    findings, so that a department sees which company or person a finding is about."""
    for item in items:
        if (
            not item.is_key
            and item.data_type == DataType.STRING
            and ("名称" in item.label or "姓名" in item.label or item.name.lower().endswith("name"))
        ):
            return str(item.name)
    return None


def generated_checks(items: Sequence[Any]) -> list[Check]:
    checks: list[Check] = []
    keys = tuple(i.name for i in items if i.is_key)
    for item in items:
        column = (item.name,)
        checks.append(Check("type", column, {"type": item.data_type}, blocking=True))
        if item.required or item.is_key:
            checks.append(Check("not_null", column, blocking=item.is_key))
        if item.data_type == DataType.STRING and item.length:
            checks.append(Check("max_length", column, {"max": item.length}))
        if item.allowed_values:
            checks.append(Check("in_set", column, {"values": list(item.allowed_values)}))
        value_format = item.value_format
        if value_format == ValueFormat.NOT_FUTURE:
            checks.append(Check("not_future", column))
        elif value_format:
            checks.append(Check("format", column, {"format": value_format}))
    if len(keys) == 1:
        checks.append(Check("unique", keys, blocking=True))
    elif keys:
        checks.append(Check("compound_unique", keys, blocking=True))
    return checks


def steward_check(
    kind: str, column: str, params: dict[str, Any], blocking: bool, item_names: Iterable[str]
) -> Check:
    """A steward's check, refused with a clear message when it cannot run."""
    if kind not in STEWARD_KINDS:
        raise InvalidInput(
            "unknown kind of check {kind!r}; use one of: {steward_kinds}",
            detail={"field": "kind"},
            kind=kind,
            steward_kinds=", ".join(sorted(STEWARD_KINDS)),
        )
    if column not in set(item_names):
        raise InvalidInput(
            "{column} is not a data item of this resource",
            detail={"field": "column"},
            column=column,
        )
    needed = {"in_set": "values", "matches": "pattern", "format": "format", "max_length": "max"}
    if kind in needed and needed[kind] not in params:
        raise InvalidInput(
            "a {kind} check needs {needed!r}",
            detail={"field": "params"},
            kind=kind,
            needed=needed[kind],
        )
    if kind == "between" and not ({"min", "max"} & params.keys()):
        raise InvalidInput("a between check needs min, max or both", detail={"field": "params"})
    if kind == "format":
        try:
            ValueFormat(params["format"])
        except ValueError as error:
            formats = ", ".join(f.value for f in ValueFormat)
            raise InvalidInput(
                "unknown format; use one of: {formats}", detail={"field": "params"}, formats=formats
            ) from error
    if kind == "matches":
        import re

        try:
            re.compile(str(params["pattern"]))
        except re.error as error:
            raise InvalidInput(
                "the pattern does not compile: {error}", detail={"field": "params"}, error=error
            ) from error
    return Check(kind, (column,), dict(params), blocking=blocking, origin="steward")
