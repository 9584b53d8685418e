"""The checks themselves: identifier check characters agree with the one-value rules, the suite
follows the catalog, Great Expectations reports what fails with its keys, and comparisons
normalise, tolerate and join as their definition says."""

import random
from datetime import date, datetime, timedelta

import pyarrow as pa
import pytest

from catalog.schemas import ItemDraft
from exchange.errors import InvalidInput
from exchange.identifiers import (
    USCC_ALPHABET,
    is_valid_resident_id,
    is_valid_uscc,
    resident_id_check_character,
    uscc_check_character,
)
from exchange.normalising import Normalisation
from quality.compare import AttributePair, ComparisonSpec, compare_tables
from quality.formats import valid_resident_id, valid_uscc
from quality.runner import run_checks
from quality.suites import generated_checks, steward_check

TODAY = date(2026, 11, 29)


def random_codes(count: int) -> list[str]:
    rng = random.Random(11)
    codes = []
    for _ in range(count):
        body = "9144" + "".join(rng.choice(USCC_ALPHABET) for _ in range(13))
        code = body + uscc_check_character(body)
        if rng.random() < 0.3:  # a typing error somewhere
            position = rng.randrange(18)
            code = code[:position] + rng.choice(USCC_ALPHABET + "IOSVZ") + code[position + 1 :]
        codes.append(code)
    return codes


def random_ids(count: int) -> list[str]:
    rng = random.Random(12)
    ids = []
    for _ in range(count):
        body = f"{rng.randint(110000, 659999)}{rng.randint(19400101, 20201231)}{rng.randint(0, 999):03d}"
        number = body + resident_id_check_character(body)
        if rng.random() < 0.3:
            position = rng.randrange(18)
            number = number[:position] + rng.choice("0123456789Xx") + number[position + 1 :]
        ids.append(number)
    return ids


def test_vectorised_check_characters_agree_with_the_one_value_rules() -> None:
    codes = [*random_codes(5000), "", "short", "９１４４０３００ＭＡ５ＤＢＵ２Ｇ５Ｋ", None]
    expected = [code is None or is_valid_uscc(code) for code in codes]
    assert valid_uscc(pa.array(codes)).tolist() == expected
    assert valid_uscc(pa.chunked_array([codes[:100], codes[100:]])).tolist() == expected
    assert 1000 < expected.count(False) < 2500  # both kinds are really there
    ids = [*random_ids(5000), "44030519900101123", None]
    expected_ids = [n is None or is_valid_resident_id(n) for n in ids]
    assert valid_resident_id(pa.array(ids, pa.large_string())).tolist() == expected_ids
    assert 1000 < expected_ids.count(False) < 2500


ITEMS = [
    ItemDraft(name="uscc", label="代码", data_type="string", length=18, required=True,
              is_key=True, share_type="unconditional", value_format="uscc"),
    ItemDraft(name="period", label="所属期", data_type="string", length=7, required=True,
              is_key=True, share_type="unconditional"),
    ItemDraft(name="status", label="状态", data_type="string", length=2,
              share_type="unconditional", allowed_values=["存续", "注销"]),
    ItemDraft(name="phone", label="手机", data_type="string", length=11,
              share_type="unconditional", value_format="mobile"),
    ItemDraft(name="filed_at", label="申报时间", data_type="datetime",
              share_type="unconditional", value_format="not_future"),
    ItemDraft(name="established_on", label="成立日期", data_type="date",
              share_type="unconditional", value_format="not_future"),
]  # fmt: skip


def test_the_suite_follows_the_catalog() -> None:
    names = {check.name for check in generated_checks(ITEMS)}
    assert names == {
        "type(uscc; type=string)", "not_null(uscc)", "max_length(uscc; max=18)",
        "format(uscc; format=uscc)", "type(period; type=string)", "not_null(period)",
        "max_length(period; max=7)", "type(status; type=string)", "max_length(status; max=2)",
        "in_set(status)", "type(phone; type=string)", "max_length(phone; max=11)",
        "format(phone; format=mobile)", "type(filed_at; type=datetime)", "not_future(filed_at)",
        "type(established_on; type=date)", "not_future(established_on)",
        "compound_unique(uscc+period)",
    }  # fmt: skip
    blocking = {c.name for c in generated_checks(ITEMS) if c.blocking}
    assert "compound_unique(uscc+period)" in blocking
    assert "format(uscc; format=uscc)" not in blocking


def test_failures_are_counted_and_named_by_their_keys() -> None:
    good = random_codes(1)[0]
    good = good[:17] + uscc_check_character(good[:17])
    late = datetime(2026, 11, 30, 0, 0, 1)
    data = pa.table({
        "uscc": [good, good, good[:17] + ("0" if good[17] != "0" else "1"), good],
        "period": ["2026-01", "2026-01", "2026-02", None],
        "status": ["存续", "吊销", "注销", None],
        "phone": ["13800138000", "0755-1234", None, "19912345678"],
        "filed_at": pa.array([datetime(2026, 11, 29, 23, 59), late, None, datetime(2020, 1, 1)]),
        "established_on": pa.array([TODAY, TODAY + timedelta(days=1), date(2000, 1, 1), None]),
    })  # fmt: skip
    results = {r.check.name: r for r in run_checks(data, generated_checks(ITEMS), today=TODAY,
                                                   key_columns=["uscc", "period"])}  # fmt: skip
    failed = {name: r.failed_rows for name, r in results.items() if not r.success}
    assert failed == {
        "format(uscc; format=uscc)": 1,
        "not_null(period)": 1,
        "in_set(status)": 1,
        "format(phone; format=mobile)": 1,
        "not_future(filed_at)": 1,
        "not_future(established_on)": 1,
        "compound_unique(uscc+period)": 2,
    }
    assert results["in_set(status)"].samples == [
        {"value": "吊销", "uscc": good, "period": "2026-01"}
    ]
    assert results["not_future(established_on)"].samples[0]["value"] == "2026-11-30"
    assert results["not_future(filed_at)"].samples[0]["value"].startswith("2026-11-30T00:00:01")
    untuned = run_checks(data, generated_checks(ITEMS), today=TODAY, tuned=False)
    assert {r.check.name: r.failed_rows for r in untuned if not r.success} == failed


def test_a_missing_column_or_another_type_fails_the_check_with_a_reason() -> None:
    data = pa.table({"uscc": pa.array([1, 2])})
    results = {r.check.name: r for r in run_checks(data, generated_checks(ITEMS[:2]), today=TODAY)}
    assert not results["type(uscc; type=string)"].success
    assert results["not_null(period)"].error == "the column is missing"


def test_steward_checks_are_refused_when_they_cannot_run() -> None:
    names = ["status"]
    with pytest.raises(InvalidInput, match="unknown kind"):
        steward_check("looks_fine", "status", {}, False, names)
    with pytest.raises(InvalidInput, match="not a data item"):
        steward_check("not_null", "missing", {}, False, names)
    with pytest.raises(InvalidInput, match="needs 'values'"):
        steward_check("in_set", "status", {}, False, names)
    with pytest.raises(InvalidInput, match="does not compile"):
        steward_check("matches", "status", {"pattern": "(["}, False, names)
    check = steward_check("matches", "status", {"pattern": "^..$"}, True, names)
    assert check.blocking
    assert check.origin == "steward"


def test_comparison_normalises_tolerates_and_reports_both_sides() -> None:
    left = pa.table({
        "code": ["A1", "A2", "A3", "A4", "A5"],
        "name": ["ＡＢＣ（深圳）有限公司", "甲 公司", None, "乙", "丙"],
        "capital": [100.0, 200.0, 300.0, 400.0, 1.0],
        "since": pa.array([date(2020, 1, 1)] * 5),
    })  # fmt: skip
    right = pa.table({
        "id": ["A1", "A2", "A3", "A4", "B9"],
        "title": ["abc(深圳)有限公司", "甲\u3000公司", None, "乙方", "丁"],
        "amount": [100.004, 200.5, 300.0, 400.0, 2.0],
        "since": pa.array([date(2020, 1, 2), date(2020, 1, 1), date(2020, 1, 5), None, None]),
    })  # fmt: skip
    spec = ComparisonSpec(
        keys=(("code", "id"),),
        attributes=(
            AttributePair("name", "title"),
            AttributePair("capital", "amount", tolerance=0.01),
            AttributePair("since", "since", tolerance=1),
        ),
        normalise=frozenset(Normalisation),
    )
    found = compare_tables(left, right, spec)
    assert found.mismatches == {"name": 1, "capital": 1, "since": 2}
    assert (found.matched, found.left_only, found.right_only) == (4, 1, 1)
    assert found.mismatched_rows == 3  # A2 capital, A3 since, A4 name and since
    mismatched = {(r["attribute"], r["key"]["code"]) for r in found.rows if r["kind"] == "mismatch"}
    assert mismatched == {("name", "A4"), ("capital", "A2"), ("since", "A3"), ("since", "A4")}
    assert {"kind": "right_only", "key": {"id": "B9"}, "name": None} in found.rows
    raw = compare_tables(left, right, ComparisonSpec(spec.keys, spec.attributes[:1]))
    assert raw.mismatches == {"name": 3}  # without normalising, width and spaces differ too


def test_r18_comparison_counts_every_joined_row_and_judges_what_differs_as_stored() -> None:
    """Only rows that differ as stored are taken out and judged; the counts still cover every
    joined row: a key twice on one side is matched twice, columns of different types are
    compared as text, NaN differs even from NaN, and an empty side leaves only one-sided keys."""
    nan = float("nan")
    left = pa.table({
        "key": [1, 2, 2, 3, 4, 6],
        "count": [1, 2, 2, 3, None, 6],
        "ratio": [nan, 1.0, 1.0, 2.0, 3.0, nan],
    })  # fmt: skip
    right = pa.table({
        "key": [2, 3, 4, 5, 6],
        "count": ["2", "3 ", "x", "5", "6"],
        "ratio": [1.0, 2.0, nan, 0.0, nan],
    })  # fmt: skip
    spec = ComparisonSpec(
        keys=(("key", "key"),),
        attributes=(AttributePair("count", "count"), AttributePair("ratio", "ratio")),
    )
    found = compare_tables(left, right, spec)
    assert (found.matched, found.left_only, found.right_only) == (5, 1, 1)
    assert found.mismatches == {"count": 2, "ratio": 2}  # 3 vs "3 ", None vs "x"; 3 vs NaN, NaN
    assert found.mismatched_rows == 3
    mismatched = {(r["attribute"], r["key"]["key"]) for r in found.rows if r["kind"] == "mismatch"}
    assert mismatched == {("count", 3), ("count", 4), ("ratio", 4), ("ratio", 6)}

    nothing = compare_tables(left, right.slice(0, 0), spec)
    assert (nothing.matched, nothing.left_only, nothing.right_only) == (0, 6, 0)
    assert nothing.mismatched_rows == 0
    assert sorted(r["key"]["key"] for r in nothing.rows) == [1, 2, 2, 3, 4, 6]

    same = compare_tables(right, right, ComparisonSpec(spec.keys, spec.attributes[:1]))
    assert (same.matched, same.total, same.rows) == (5, 0, [])


def test_great_expectations_stays_out_of_the_api_and_dag_parsing() -> None:
    """It costs seconds to import: only a validation that runs loads it."""
    import subprocess
    import sys

    probe = (
        "import sys, exchange_api.app, quality.validation, quality.comparisons, quality.reports; "
        "print('great_expectations' in sys.modules, 'pandas' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]
