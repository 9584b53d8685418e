"""R19: text from a source becomes the catalog's types, or the row is set aside saying why. A
clean column is cast without its pattern; the cast must then accept nothing the pattern rejects."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pyarrow as pa
import pytest

from collection.conform import conform


@dataclass(frozen=True)
class Item:
    name: str
    data_type: str
    label: str = ""
    length: int | None = None
    precision: int | None = None


ITEMS = [
    Item("staff", "integer"),
    Item("capital", "decimal", length=18, precision=2),
    Item("founded", "date"),
]
CLEAN = {
    "staff": ["12", "-3", "007"],
    "capital": ["1.50", "+.5", "20"],
    "founded": ["2020-01-02"] * 3,
}


def test_r19_clean_text_columns_become_their_types() -> None:
    conformed = conform(pa.table(CLEAN), ITEMS)
    assert conformed.rejected == []
    assert conformed.table.to_pydict() == {
        "staff": [12, -3, 7],
        "capital": [Decimal("1.50"), Decimal("0.50"), Decimal("20.00")],
        "founded": [date(2020, 1, 2)] * 3,
    }


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("staff", "0x1F", "staff: not a valid integer"),  # Arrow's cast alone would take it
        ("staff", "1e3", "staff: not a valid integer"),
        ("staff", "12.0", "staff: not a valid integer"),
        ("capital", "1e3", "capital: not a valid decimal"),  # Arrow's cast alone would take it
        ("capital", "1,000", "capital: not a valid decimal"),
        ("founded", "2020-1-2", "founded: not a valid date"),
        ("founded", "2020-02-30", "founded: not a valid date"),
    ],
)
def test_r19_text_outside_the_pattern_is_set_aside(column: str, value: str, problem: str) -> None:
    data = {name: list(values) for name, values in CLEAN.items()}
    data[column][1] = value
    conformed = conform(pa.table(data), ITEMS)
    [rejected] = conformed.rejected
    assert (rejected.line, rejected.problems) == (2, [problem])
    assert conformed.table.num_rows == 2


def test_r19_a_plus_sign_is_still_an_integer() -> None:
    data = {name: list(values) for name, values in CLEAN.items()}
    data["staff"][0] = "+5"  # the pattern takes it, Arrow's cast does not: the slower way
    conformed = conform(pa.table(data), ITEMS)
    assert conformed.rejected == []
    assert conformed.table.column("staff").to_pylist() == [5, -3, 7]


def test_r19_clean_text_is_loaded_as_it_came_and_empty_text_as_missing() -> None:
    item = [Item("name", "string"), Item("staff", "integer")]
    data = {"name": ["经营范围：软件开发。", "", "A"], "staff": ["1", "", "3"]}
    conformed = conform(pa.table(data), item)
    assert conformed.rejected == []
    assert conformed.table.to_pydict() == {
        "name": ["经营范围：软件开发。", None, "A"],
        "staff": [1, None, 3],
    }
