"""Shared data: a published register with data in the store, a grant approved, the rows' URL,
and a read cache that holds nothing."""

from collections.abc import Iterator

import pyarrow as pa
import pyarrow.ipc
import pytest
from sqlalchemy import select

from catalog.schemas import ItemDraft
from exchange.store import UnifiedStore
from policies import grants, requests
from tests.catalog_fixtures import CatalogWorld, enterprise_register, publish_entry
from tests.scenarios.requests import LAW, act, file

DISTRICTS = ["南山区", "福田区", "罗湖区"]


PURPOSE = {"purpose": "核验企业登记信息"}
# The items the register marks sensitive: encrypted in the warehouse, as an ingest would (R21).
SENSITIVE = frozenset({"legal_representative", "id_number"})


def publish_with_data(world: CatalogWorld, rows: int = 30) -> str:
    """An enterprise register with unconditional, conditional and not-shared items, and data."""
    draft = enterprise_register()
    draft.items += [
        ItemDraft(name="district", label="所属区", data_type="string", length=20,
                  share_type="unconditional"),
        ItemDraft(name="phone", label="联系电话", data_type="string", length=20,
                  share_type="conditional", share_condition="仅用于行政审批"),
        ItemDraft(name="id_number", label="法定代表人身份证号", data_type="string", length=18,
                  share_type="not_shared", legal_basis=LAW, sensitivity="sensitive"),
    ]  # fmt: skip
    code = publish_entry(world, draft)
    write(world, code, rows, run_key="first")
    return code


def write(world: CatalogWorld, code: str, rows: int, *, run_key: str) -> int:
    table = pa.table(
        {
            "uscc": [f"91440300MA5{i:07d}" for i in range(rows)],
            "enterprise_name": [f"深圳市示例{i}有限公司" for i in range(rows)],
            "legal_representative": [f"张{i}" for i in range(rows)],
            "registered_capital": pa.array([1000 * (i + 1) for i in range(rows)], pa.float64()),
            "district": [DISTRICTS[i % 3] for i in range(rows)],
            "phone": [f"1380000{i:04d}" for i in range(rows)],
            "id_number": [f"44030019900101{i:04d}" for i in range(rows)],
        }
    )
    store = UnifiedStore(world.platform.settings)
    return store.write(
        code, table, overwrite=True, run_key=run_key, properties={}, sensitive=SENSITIVE
    )


def approved_grant(world: CatalogWorld, code: str, **approval: object) -> int:
    request_id = file(world, code, ["legal_representative", "phone"])
    act(world, "data_reviewer", requests.approve, request_id=request_id, **approval)
    with world.platform.database.transaction() as session:
        grant = session.scalars(
            select(grants.Grant).where(grants.Grant.request_id == request_id)
        ).one()
        return grant.id


def rows_url(code: str) -> str:
    return f"/api/v1/data/{code}/rows"


def hold_nothing(client: object, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every snapshot too large for the API's read cache, served in batches of three rows
    (so pages and files span batches); the list fills with each resource read whole."""
    snapshots = client.app.state.snapshots  # type: ignore[attr-defined]
    snapshots.max_bytes = 0
    snapshots._tables.clear()
    whole_reads: list[str] = []
    original_read, original_batches = snapshots.read, snapshots.batches

    def read(code: str, snapshot_id: int, memory_only: bool = False) -> object:
        if not memory_only:  # a quick look into memory reads nothing
            whole_reads.append(code)
        return original_read(code, snapshot_id, memory_only)

    def small_batches(*args: object) -> Iterator[pa.RecordBatch]:
        for batch in original_batches(*args):
            yield from (batch.slice(start, 3) for start in range(0, batch.num_rows, 3))

    monkeypatch.setattr(snapshots, "read", read)
    monkeypatch.setattr(snapshots, "batches", small_batches)
    return whole_reads
