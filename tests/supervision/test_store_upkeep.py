"""R9/R16: the warehouse's upkeep removes what nothing needs and nothing else. Snapshots past
their retention are expired unless something points to them (a grant in force, a quality record)
or they are current; files no snapshot references are removed once older than any run takes, a
young one (a run still writing) kept; the data read stays the same, and each removal is audited."""

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
from sqlalchemy import select

from exchange.audit.models import AuditRecord
from exchange.clock import FrozenClock
from exchange.store import UnifiedStore
from supervision.store_upkeep import keep_store_tidy
from tests.catalog_fixtures import CatalogWorld
from tests.scenarios.data import PURPOSE, approved_grant, publish_with_data, rows_url, write
from tests.scenarios.people import bearer


def test_r9_upkeep_expires_what_nothing_points_to_and_removes_orphan_files(
    world: CatalogWorld, clock: FrozenClock, client: object
) -> None:
    settings = world.platform.settings
    code = publish_with_data(world)  # snapshot "first"
    approved_grant(world, code)
    # The consumer reads under its grant: that snapshot is pointed to while the grant is in force.
    answer = client.get(  # type: ignore[attr-defined]
        rows_url(code), params={**PURPOSE, "columns": "uscc,phone"},
        headers=bearer(world, "consumer"),
    )  # fmt: skip
    assert answer.status_code == 200
    store = UnifiedStore(settings)
    read_snapshot = store.current_snapshot_id(code)
    write(world, code, 20, run_key="second")  # read by nobody
    write(world, code, 10, run_key="third")  # current
    current = store.current_snapshot_id(code)
    table = store.table(code)
    assert table is not None
    data = Path(table.location().removeprefix("file://")) / "data"
    # A run killed mid-write left a file behind long ago; another run is writing one now.
    stale, young = data / "killed-run.parquet", data / "run-in-progress.parquet"
    for path in (stale, young):
        pq.write_table(store.scan(code), path)
    # Past the retention of every snapshot (Iceberg stamps them with the machine's time).
    clock.set(datetime.now(UTC) + timedelta(days=settings.snapshot_retention_days + 1))
    for path, age in ((stale, timedelta(days=2)), (young, timedelta(hours=1))):
        moment = (clock.now() - age).timestamp()
        os.utime(path, (moment, moment))
    report = keep_store_tidy(world.platform)

    remaining = {s.snapshot_id for s in store.snapshots(code)}
    assert {read_snapshot, current} <= remaining
    assert report.expired[code]
    assert not set(report.expired[code]) & {read_snapshot, current}
    assert str(stale) in report.removed[code]
    assert not stale.exists()
    assert young.exists()  # younger than orphan_file_hours: perhaps a run still writing
    assert store.scan(code).num_rows == 10
    assert store.scan(code, snapshot_id=read_snapshot).num_rows == 30
    with world.platform.database.transaction() as session:
        record = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "store.upkeep")
        ).one()
        detail = json.loads(record.detail)
        assert detail["expired_snapshots"] == report.expired[code]
        assert str(stale) in detail["removed_files"]

    # Run again: nothing more to do, nothing recorded.
    assert keep_store_tidy(world.platform).expired == {}
