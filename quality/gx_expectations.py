"""Great Expectations expectations for the check characters of national identifiers.

Importing this module registers them with Great Expectations; :mod:`quality.runner` does so when
it first runs a suite. The conditions are vectorised (:mod:`quality.formats`).
"""

from typing import Any, ClassVar

import pandas as pd
import pyarrow as pa
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics import (
    ColumnMapMetricProvider,
    column_condition_partial,
)

from quality.formats import valid_resident_id, valid_uscc


def _as_arrow(column: pd.Series) -> pa.Array:
    return pa.array(column, from_pandas=True)  # no copy for Arrow-backed strings


class ColumnValuesValidUscc(ColumnMapMetricProvider):
    condition_metric_name = "column_values.exchange_valid_uscc"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        return pd.Series(valid_uscc(_as_arrow(column)), index=column.index)


class ColumnValuesValidResidentId(ColumnMapMetricProvider):
    condition_metric_name = "column_values.exchange_valid_resident_id"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        return pd.Series(valid_resident_id(_as_arrow(column)), index=column.index)


class ColumnValuesUniqueInArrow(ColumnMapMetricProvider):
    condition_metric_name = "column_values.exchange_unique"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        return pd.Series(unique_values(_as_arrow(column)), index=column.index)


def unique_values(values: pa.Array) -> Any:
    """True where a value appears once. Counting distinct values in Arrow settles the usual case
    (every key unique) without hashing into pandas; duplicates are then found by value."""
    import numpy as np
    import pyarrow.compute as pc

    present = values.drop_null()
    if pc.count_distinct(present).as_py() == len(present):
        return np.ones(len(values), dtype=bool)
    counts = pc.value_counts(present)
    repeated = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
    return ~pc.is_in(values, value_set=repeated).to_numpy(zero_copy_only=False)


class ExpectColumnValuesToBeValidUscc(ColumnMapExpectation):
    """统一社会信用代码 with the right check character (GB 32100)."""

    map_metric = "column_values.exchange_valid_uscc"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


class ExpectColumnValuesToBeUniqueKeys(ColumnMapExpectation):
    """No value appears twice (Great Expectations' own check, counted in Arrow)."""

    map_metric = "column_values.exchange_unique"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


class ExpectColumnValuesToBeValidResidentId(ColumnMapExpectation):
    """居民身份证号 with the right check digit (GB 11643)."""

    map_metric = "column_values.exchange_valid_resident_id"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)
