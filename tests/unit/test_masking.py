"""Masking rules (R14): what each rule shows, nulls kept, short values hidden whole, the Arrow
shortcuts giving exactly what the SQL gives, and rules that do not suit an item refused."""

from datetime import date
from decimal import Decimal

import pyarrow as pa
import pytest

from catalog.masking import BadRule, MaskRule, default_rule, effective_rule, parse
from policies import masking

KEY = "00112233445566778899aabbccddeeff"


def _masked(values: list[object], rule: str, arrow_type: pa.DataType | None = None) -> list[object]:
    table = pa.table({"v": pa.array(values, arrow_type)})
    return masking.mask(table, {"v": parse(rule)}, KEY)["v"].to_pylist()


def test_r14_each_rule_shows_what_it_promises_and_keeps_nulls() -> None:
    assert _masked(["420102199001011234", None, "ab"], "keep:4:4") == [
        "4201**********1234", None, "**"
    ]  # fmt: skip
    assert _masked(["张三", "欧阳娜娜"], "keep:1:0") == ["张*", "欧***"]
    assert _masked([date(1975, 11, 3), None], "year", pa.date32()) == ["1975", None]
    assert _masked(["1975-11-03"], "month") == ["1975-11"]
    assert _masked([21500.0, -1.0, None], "range:1000") == ["[21000, 22000)", "[-1000, 0)", None]
    assert _masked([1.26], "range:0.5") == ["[1.0, 1.5)"]
    assert _masked([True, None], "hide", pa.bool_()) == ["***", None]
    pseudonyms = _masked(["甲", "乙", "甲", None], "pseudonym")
    assert pseudonyms[0] == pseudonyms[2] != pseudonyms[1]
    assert pseudonyms[3] is None
    assert all(len(p) == masking.PSEUDONYM_DIGITS for p in pseudonyms[:3])


@pytest.mark.parametrize(
    ("values", "rule"),
    [
        ([f"4201{i:014d}" for i in range(3000)], "keep:4:4"),  # one length: slice replacement
        ([f"{'x' * (i % 7)}" for i in range(3000)], "keep:2:1"),  # lengths vary: SQL
        ([f"name{i % 40}" for i in range(3000)], "pseudonym"),  # repeated: once per value
        ([f"id{i}" for i in range(3000)], "pseudonym"),  # all distinct: SQL
    ],
)
def test_r14_the_arrow_shortcuts_give_exactly_what_the_sql_gives(
    values: list[str], rule: str
) -> None:
    table = pa.table({"v": pa.array(values)})
    rules = {"v": parse(rule)}
    quick = masking.mask(table, rules, KEY)
    plain = masking._in_duckdb(table, rules, KEY)
    assert quick["v"].to_pylist() == plain["v"].to_pylist()


def test_r14_a_pseudonym_needs_the_grants_key_and_differs_with_it() -> None:
    table = pa.table({"v": ["420102199001011234"]})
    with pytest.raises(ValueError, match="key"):
        masking.mask(table, {"v": parse("pseudonym")}, None)
    one = masking.mask(table, {"v": parse("pseudonym")}, KEY)["v"][0]
    other = masking.mask(table, {"v": parse("pseudonym")}, "ff" * 16)["v"][0]
    assert one != other


def test_r14_rules_are_parsed_checked_against_types_and_defaulted() -> None:
    assert parse(" KEEP:3:4 ") == MaskRule("keep", 3, 4)
    assert parse("range:1000").width == Decimal(1000)
    for wrong in ("keep:3", "range:0", "range:-5", "shuffle", "keep:100:1"):
        with pytest.raises(BadRule):
            parse(wrong)
    with pytest.raises(BadRule, match="date"):
        effective_rule("string", None, "month")
    with pytest.raises(BadRule, match="numeric"):
        effective_rule("date", None, "range:10")
    assert default_rule("string", "resident_id") == MaskRule("keep", 4, 4)
    assert default_rule("string", "mobile") == MaskRule("keep", 3, 4)
    assert default_rule("date", None) == MaskRule("month")
    assert default_rule("boolean", None) == MaskRule("hide")
    assert effective_rule("string", "resident_id", "pseudonym") == MaskRule("pseudonym")
