"""Readers arriving together at a snapshot not yet in memory (a new one, or the first reads after a
start) wait for one load of it and one build of its key index, instead of each loading its own
copy: with a million rows, eight copies took eight times the memory and stalled every read."""

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pytest

from exchange.snapshots import NoData, SnapshotCache
from exchange.store import UnifiedStore
from tests.catalog_fixtures import CatalogWorld
from tests.scenarios.data import publish_with_data

READERS = 8


def _together(readers: int, action: Callable[[], Any]) -> list[Any]:
    """``action`` in ``readers`` threads released at the same moment; what each returned."""
    start = threading.Barrier(readers)
    results: list[Any] = [None] * readers

    def reader(slot: int) -> None:
        start.wait()
        results[slot] = action()

    threads = [threading.Thread(target=reader, args=(slot,)) for slot in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


class CountingStore(UnifiedStore):
    """The real store, counting its scans; each scan takes a little longer, as a large one does,
    so that the readers do overlap."""

    scans = 0

    def scan(self, *args: Any, **kwargs: Any) -> pa.Table:
        CountingStore.scans += 1
        time.sleep(0.2)
        return super().scan(*args, **kwargs)


@dataclass
class Cold:
    """A resource with data, and a cache that has not read it yet."""

    code: str
    snapshot_id: int
    cache: SnapshotCache


@pytest.fixture
def cold(world: CatalogWorld) -> Iterator[Cold]:
    code = publish_with_data(world)
    store = CountingStore(world.platform.settings)
    snapshot_id = store.current_snapshot_id(code)
    assert snapshot_id is not None
    cache = SnapshotCache(store, world.platform.database, max_bytes=10**8)
    CountingStore.scans = 0
    yield Cold(code, snapshot_id, cache)
    cache.close()


def test_r12_readers_of_a_snapshot_not_in_memory_share_one_load(cold: Cold) -> None:
    code, snapshot_id, cache = cold.code, cold.snapshot_id, cold.cache
    tables = _together(READERS, lambda: cache.read(code, snapshot_id))

    assert CountingStore.scans == 1
    assert all(table is tables[0] for table in tables)
    assert tables[0].num_rows == 30


def test_r12_readers_looking_up_by_key_share_one_index(cold: Cold) -> None:
    code, snapshot_id, cache = cold.code, cold.snapshot_id, cold.cache
    table = cache.read(code, snapshot_id)
    built = []
    read = cache.read

    def counted_read(*args: Any, **kwargs: Any) -> pa.Table:
        built.append(args)  # the index is built from the whole snapshot, read once per build
        time.sleep(0.2)  # as building the index of a million keys takes a while
        return read(*args, **kwargs)

    cache.read = counted_read  # type: ignore[method-assign]
    key = table["uscc"][7].as_py()

    found = _together(READERS, lambda: cache.rows_equal(code, snapshot_id, "uscc", key))

    assert len(built) == 1
    assert found == [[7]] * READERS
    # And the key of another row, from the same index, with no second build.
    assert cache.rows_equal(code, snapshot_id, "uscc", table["uscc"][3].as_py()) == [3]
    assert len(built) == 1


def test_r12_a_load_that_fails_fails_its_readers_and_the_next_read_tries_again(
    cold: Cold,
) -> None:
    """A snapshot id the store does not know: each waiting reader hears so; nothing stays held."""
    errors = _together(READERS, lambda: _error_of(lambda: cold.cache.read(cold.code, 1)))
    assert all(isinstance(error, NoData) for error in errors)
    assert cold.cache.read(cold.code, cold.snapshot_id).num_rows == 30
    assert not cold.cache._loading  # no loader left behind for either key


def _error_of(action: Callable[[], Any]) -> Exception | None:
    try:
        action()
    except Exception as error:
        return error
    return None
