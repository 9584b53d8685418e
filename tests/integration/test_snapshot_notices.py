"""Which snapshot a resource serves is kept by each API process on PostgreSQL and forgotten when a
change is announced, so a read costs no query for it: a snapshot committed by any process (the
notice of the catalog table's trigger), or a quarantine decided anywhere (announced with it).
Readers are served the change within a second, as grants reach them (R16, R19)."""

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from exchange.data_status import status_to_change
from exchange.db import Database
from exchange.runtime import Platform
from exchange.snapshots import SnapshotCache
from exchange.store import UnifiedStore
from tests.catalog_fixtures import CatalogWorld
from tests.scenarios.data import publish_with_data
from tests.servers import within

PROPAGATION_SECONDS = 1.0

# Another process commits a new snapshot of the resource, as an Airflow worker does.
COMMIT = """
import sys
import pyarrow as pa
from exchange.settings import Settings
from exchange.store import UnifiedStore
store = UnifiedStore(Settings())
data = store.scan(sys.argv[1]).slice(0, 5)
print(store.write(sys.argv[1], data, overwrite=True, run_key="elsewhere", properties={}))
"""


@pytest.fixture
def cache(platform: Platform) -> Iterator[SnapshotCache]:
    if platform.database.dialect != "postgresql":
        pytest.skip("on SQLite the served snapshot is read on every request")
    platform.database.follow_other_processes()
    snapshots = SnapshotCache(UnifiedStore(platform.settings), platform.database, 10**8)
    yield snapshots
    snapshots.close()
    platform.database.change_bus.stop_following()


def test_r16_a_snapshot_another_process_commits_is_served_within_a_second(
    world: CatalogWorld, cache: SnapshotCache
) -> None:
    code = publish_with_data(world)
    first = cache.served(code).snapshot_id
    settings = world.platform.settings
    env = {**os.environ, "EXCHANGE_DATABASE_URL": world.platform.database.url,
           "EXCHANGE_DATA_DIR": str(settings.data_dir),
           "EXCHANGE_WAREHOUSE_PATH": str(settings.resolved_warehouse_path)}  # fmt: skip
    committed = subprocess.run([sys.executable, "-c", COMMIT, code], env=env, check=True,
                               capture_output=True, text=True)  # fmt: skip
    second = int(committed.stdout.split()[-1])
    assert second != first
    assert within(PROPAGATION_SECONDS, lambda: cache.served(code).snapshot_id == second)


def test_r19_a_quarantine_decided_elsewhere_reaches_the_readers_within_a_second(
    world: CatalogWorld, cache: SnapshotCache
) -> None:
    code = publish_with_data(world)
    current = cache.served(code).snapshot_id
    assert cache.served(code).quarantine_reason is None
    # Another process's connection (its own engine, not following anything) quarantines it.
    elsewhere = Database(world.platform.database.url)
    try:
        with elsewhere.transaction() as session:
            status = status_to_change(session, code, world.platform.clock.now())
            status.quarantined_snapshot_id = current
            status.quarantine_reason = "blocking checks failed: uscc_valid"
    finally:
        elsewhere.dispose()
    assert within(
        PROPAGATION_SECONDS,
        lambda: cache.served(code, provider=True).quarantine_reason is not None,
    )
    with pytest.raises(Exception, match="quarantined"):
        cache.served(code)  # no snapshot passed before: consumers get none
