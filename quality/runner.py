"""Running a suite with Great Expectations, returning the platform's own results.

:func:`run_checks` is the one place Great Expectations runs. It is imported only when a
validation runs (it costs seconds to import), never at API start-up or DAG parsing.

The platform's tuning, each measured by ``make bench`` against Great Expectations without it:

* only the columns under test (and the keys naming failing rows) go to pandas;
* dates become ``datetime64`` and decimals ``float64``, so range checks run vectorised instead
  of calling Python per row on ``date`` and ``Decimal`` objects;
* Great Expectations' content fingerprint of the batch is skipped: a snapshot id names the data
  exactly, and hashing a million rows costs as much as the checks themselves;
* check characters of identifiers are computed for whole columns (:mod:`quality.formats`);
* a key's uniqueness is counted in Arrow, and only a column with duplicates is searched for them.
"""

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from catalog.vocab import ValueFormat
from quality.formats import PATTERNS
from quality.suites import Check

if TYPE_CHECKING:
    import pyarrow as pa

# Failing rows kept per check, with their keys and names: each is a finding the department
# answers (R19), so as many as a department can work through; bounded for a million failures.
SAMPLE_ROWS = 5_000
ARROW_TYPES = {
    "string": ("string", "large_string"),
    "integer": ("int8", "int16", "int32", "int64"),
    "decimal": ("decimal128", "decimal256"),
    "date": ("date32", "date64"),
    "datetime": ("timestamp",),
    "boolean": ("bool",),
}


@dataclass(frozen=True)
class CheckResult:
    check: Check
    success: bool
    failed_rows: int
    rows: int
    samples: list[dict[str, Any]]  # failing values, with the row's keys
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check.name,
            "kind": self.check.kind,
            "columns": list(self.check.columns),
            "params": self.check.params,
            "blocking": self.check.blocking,
            "origin": self.check.origin,
            "description": self.check.describe(),
            "success": self.success,
            "failed_rows": self.failed_rows,
            "failed_share": self.failed_rows / self.rows if self.rows else 0.0,
            "samples": self.samples,
            "error": self.error,
        }


def run_checks(
    data: "pa.Table",
    checks: Sequence[Check],
    *,
    today: date,
    key_columns: Sequence[str] = (),
    tuned: bool = True,
) -> list[CheckResult]:
    """Every check on ``data``; a check that cannot run fails with its error, never silently."""
    results = {id(c): _type_result(data, c) for c in checks if c.kind == "type"}
    value_checks = [c for c in checks if c.kind != "type"]
    if value_checks:
        results.update(_run_gx(data, value_checks, today, list(key_columns), tuned))
    return [results[id(c)] for c in checks]


def _type_result(data: "pa.Table", check: Check) -> CheckResult:
    """Types are a property of the snapshot's schema, checked on the Arrow schema itself
    (converting to pandas would blur decimals and strings into ``object``)."""
    column = check.columns[0]
    if column not in data.column_names:
        return CheckResult(check, False, data.num_rows, data.num_rows, [], f"no column {column}")
    actual = str(data.schema.field(column).type)
    expected = ARROW_TYPES.get(check.params["type"], ())
    ok = any(actual.startswith(prefix) for prefix in expected)
    samples = [] if ok else [{"type": actual}]
    return CheckResult(check, ok, 0 if ok else data.num_rows, data.num_rows, samples)


_gx_lock = threading.Lock()
_gx_state: dict[str, Any] = {}


def _batch_definition(tuned: bool) -> Any:
    """One ephemeral context and pandas batch definition per process."""
    with _gx_lock:
        if "batches" not in _gx_state:
            import great_expectations as gx
            import great_expectations.execution_engine.pandas_execution_engine as engine
            from great_expectations.data_context.types.base import (
                DataContextConfig,
                InMemoryStoreBackendDefaults,
                ProgressBarsConfig,
            )

            import quality.gx_expectations  # noqa: F401 (registers the identifier checks)

            # In memory only: no docs site, no progress bars in task logs, no usage analytics.
            config = DataContextConfig(
                store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
                progress_bars=ProgressBarsConfig(globally=False),
                analytics_enabled=False,
            )
            context = gx.get_context(mode="ephemeral", project_config=config)
            source = context.data_sources.add_pandas("exchange")
            asset = source.add_dataframe_asset("snapshot")
            _gx_state["batches"] = asset.add_batch_definition_whole_dataframe("whole")
            _gx_state["engine"] = engine
            _gx_state["threshold"] = engine.HASH_THRESHOLD
        # Great Expectations fingerprints batches below this many bytes; 0 turns it off.
        _gx_state["engine"].HASH_THRESHOLD = 0 if tuned else _gx_state["threshold"]
        return _gx_state["batches"]


def _expectation(check: Check, today: date, tuned: bool) -> Any:
    import great_expectations.expectations as gxe

    from quality import gx_expectations as custom

    column = check.columns[0]
    kind, params = check.kind, check.params
    if kind == "not_null":
        return gxe.ExpectColumnValuesToNotBeNull(column=column)
    if kind == "unique":
        if tuned:
            return custom.ExpectColumnValuesToBeUniqueKeys(column=column)
        return gxe.ExpectColumnValuesToBeUnique(column=column)
    if kind == "compound_unique":
        return gxe.ExpectCompoundColumnsToBeUnique(column_list=list(check.columns))
    if kind == "max_length":
        return gxe.ExpectColumnValueLengthsToBeBetween(column=column, max_value=int(params["max"]))
    if kind == "in_set":
        return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(params["values"]))
    if kind == "matches":
        return gxe.ExpectColumnValuesToMatchRegex(column=column, regex=str(params["pattern"]))
    if kind == "between":
        return gxe.ExpectColumnValuesToBeBetween(
            column=column, min_value=params.get("min"), max_value=params.get("max")
        )
    if kind == "not_future":
        # Tuned, dates arrive as whole days and times as microseconds since 1970 (see _frame);
        # untuned, as pandas makes them: dates as objects, times as timestamps.
        latest: Any = _latest(check, today)
        if not tuned:
            latest = today
            if check.params.get("_unit") == "us":
                import pandas as pd

                latest = pd.Timestamp(datetime.combine(today, time.max))
        return gxe.ExpectColumnValuesToBeBetween(column=column, max_value=latest)
    if kind == "format":
        value_format = ValueFormat(params["format"])
        if value_format == ValueFormat.USCC:
            return custom.ExpectColumnValuesToBeValidUscc(column=column)
        if value_format == ValueFormat.RESIDENT_ID:
            return custom.ExpectColumnValuesToBeValidResidentId(column=column)
        return gxe.ExpectColumnValuesToMatchRegex(column=column, regex=PATTERNS[value_format])
    raise ValueError(f"unknown kind of check {kind!r}")


EPOCH = date(1970, 1, 1)


def _latest(check: Check, today: date) -> int:
    """The end of ``today`` as a number comparable with the column :func:`_frame` makes."""
    if check.params.get("_unit") == "us":
        return int((datetime.combine(today, time.max) - datetime(1970, 1, 1)).total_seconds() * 1e6)
    return (today - EPOCH).days


def _frame(data: "pa.Table", columns: list[str], tuned: bool) -> Any:
    """The columns under test as pandas. Tuned: decimals as float64 and dates and times as
    int64 numbers, so range checks are vectorised (Great Expectations vectorises only int64,
    float64 and nanosecond times, and calls Python per row on anything else)."""
    import pyarrow as pa

    if not tuned:
        return data.to_pandas()
    chosen = data.select(columns)
    for index, field in enumerate(chosen.schema):
        column = chosen[field.name]
        if pa.types.is_decimal(field.type):
            chosen = chosen.set_column(index, field.name, column.cast(pa.float64()))
        elif pa.types.is_date(field.type):
            days = column.cast(pa.date32()).cast(pa.int32()).cast(pa.int64())
            chosen = chosen.set_column(index, field.name, days)
        elif pa.types.is_timestamp(field.type):
            micros = column.cast(pa.timestamp("us", field.type.tz)).cast(pa.int64())
            chosen = chosen.set_column(index, field.name, micros)
    return chosen.to_pandas()


def _run_gx(
    data: "pa.Table", checks: list[Check], today: date, keys: list[str], tuned: bool
) -> dict[int, CheckResult]:
    import great_expectations as gx
    import pyarrow as pa

    present = set(data.column_names)
    missing = {id(c): c for c in checks if not set(c.columns) <= present}
    runnable = [c for c in checks if id(c) not in missing]
    keys = [k for k in keys if k in present]
    columns = list(dict.fromkeys([*keys, *(col for c in runnable for col in c.columns)]))
    results = {
        id(c): CheckResult(c, False, data.num_rows, data.num_rows, [], "the column is missing")
        for c in missing.values()
    }
    if not runnable:
        return results
    batch = _batch_definition(tuned).get_batch(
        batch_parameters={"dataframe": _frame(data, columns, tuned)}
    )
    expectations = []
    for position, check in enumerate(runnable):
        if check.kind == "not_future" and pa.types.is_timestamp(
            data.schema.field(check.columns[0]).type
        ):
            check = Check(check.kind, check.columns, {**check.params, "_unit": "us"})
        expectation = _expectation(check, today, tuned)
        expectation.meta = {"exchange_check": position}  # results come back in another order
        expectations.append(expectation)
    suite = gx.ExpectationSuite(name="exchange", expectations=expectations)
    outcome = batch.validate(
        suite,
        result_format={
            "result_format": "SUMMARY",
            "partial_unexpected_count": SAMPLE_ROWS,
            "unexpected_index_column_names": keys,
        },
    )
    for result in outcome.results:
        check = runnable[result.expectation_config.meta["exchange_check"]]
        found = _result(check, result, data.num_rows, keys)
        if tuned and check.kind == "not_future":  # numbers back to the dates they stand for
            column_type = data.schema.field(check.columns[0]).type
            for sample in found.samples:
                sample["value"] = _as_time(sample["value"], pa.types.is_timestamp(column_type))
        results[id(check)] = found
    return results


def _as_time(value: Any, micros: bool) -> Any:
    from datetime import timedelta

    if isinstance(value, float) and value.is_integer():  # a column with nulls arrives as float
        value = int(value)
    if not isinstance(value, int):
        return value
    if micros:
        return (datetime(1970, 1, 1) + timedelta(microseconds=value)).isoformat()
    return (EPOCH + timedelta(days=value)).isoformat()


def _result(check: Check, result: Any, rows: int, keys: list[str]) -> CheckResult:
    detail = result.result or {}
    error = None
    if result.exception_info and result.exception_info.get("raised_exception"):
        error = str(result.exception_info.get("exception_message"))
    values = detail.get("partial_unexpected_list") or []
    located = detail.get("partial_unexpected_index_list") or []
    samples: list[dict[str, Any]] = []
    for index, value in enumerate(values):
        sample = {"value": _plain(value)}
        if index < len(located) and isinstance(located[index], dict):
            sample.update({k: _plain(located[index].get(k)) for k in keys})
        samples.append(sample)
    failed = int(detail.get("unexpected_count") or 0)
    if error is not None:
        failed = rows
    return CheckResult(check, bool(result.success) and error is None, failed, rows, samples, error)


def _plain(value: Any) -> Any:
    """JSON-safe: timestamps as ISO text, NumPy scalars as Python values, NaN as null."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return _plain(value.item())
    return value
