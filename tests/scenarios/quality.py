"""Snapshots written straight to the store, for validation and comparison tests."""

from decimal import Decimal

import pyarrow as pa

from exchange.store import UnifiedStore
from tests.catalog_fixtures import CatalogWorld


def write(world: CatalogWorld, code: str, codes: list[str], run_key: str) -> int:
    table = pa.table({
        "uscc": codes,
        "enterprise_name": [f"深圳市示例{i}有限公司" for i in range(len(codes))],
        "legal_representative": [f"张{i}" for i in range(len(codes))],
        "registered_capital": pa.array([Decimal("100.00")] * len(codes), pa.decimal128(18, 2)),
    })  # fmt: skip
    store = UnifiedStore(world.platform.settings)
    return store.write(code, table, overwrite=True, run_key=run_key, properties={})
