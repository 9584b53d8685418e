"""Growth curves: each piece of work measured at 1x and at 10x, to show how its cost grows.

Time may grow at most linearly (<= 11x for 10x the work); latency-type figures may grow at most
2x; an ingest of 10M rows may peak at 2 GB. The 1x figure is each curve's baseline, measured in
the same run. Both points are kept with the figure, for the README's chart.

An ingest runs in a child process of its own (``python -m bench.growth_bench ingest FOLDER ROWS``)
so that its peak memory is the ingest's, read from the kernel when the child ends.
"""

import atexit
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyarrow.csv as pa_csv

from bench.access_bench import decision_latencies, served_from
from bench.audit_bench import fill_chain
from bench.catalog_bench import bench_search
from bench.harness import Figure, sqlite_database
from bench.ingest_bench import platform_for_bench, source_table
from bench.quality_bench import comparison_seconds
from collection.ingest import ingest
from collection.sources import register_source
from exchange.audit.verify import verify_chain
from exchange.db import Database
from exchange.demo import demo_code

MILLION = 1_000_000
GENERATION_CHUNK = 500_000
TIME_GROWTH, LATENCY_GROWTH, PEAK_MEMORY_MB = 11.0, 2.0, 2048
_KEPT_DATABASES = ExitStack()
atexit.register(_KEPT_DATABASES.close)


@dataclass(frozen=True)
class Point:
    work: int
    value: float


def _growth(
    name: str,
    work_unit: str,
    unit: str,
    small: Point,
    large: Point,
    *,
    latency: bool,
    database: str = "sqlite",
) -> Figure:
    limit = LATENCY_GROWTH if latency else TIME_GROWTH
    grown = large.value / small.value if small.value else float("inf")
    return Figure(
        name=f"growth: {name}, {small.work:,} -> {large.work:,} {work_unit}",
        value=round(grown, 2),
        unit="x",
        target=f"<= {limit:g}x",
        baseline=round(small.value, 4),
        baseline_name=f"{unit} at {small.work:,} {work_unit} (large: {large.value:.4g} {unit})",
        ratio=round(grown, 2),
        meets_target=grown <= limit,
        database=database,
        curve=((small.work, small.value), (large.work, large.value)),
    )


def _write_csv(path: Path, rows: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    first = source_table(min(rows, GENERATION_CHUNK))
    with pa_csv.CSVWriter(path, first.schema) as writer:
        writer.write_table(first)
        for start in range(GENERATION_CHUNK, rows, GENERATION_CHUNK):
            writer.write_table(source_table(min(GENERATION_CHUNK, rows - start), start))


def _ingest_in_child(rows: int) -> tuple[float, float]:
    """(seconds, peak resident MB) of one ingest of ``rows`` rows in a fresh process."""
    with tempfile.TemporaryDirectory() as scratch:
        _write_csv(Path(scratch) / "drops" / demo_code(3) / "drop" / "enterprises.csv", rows)
        child = subprocess.Popen(
            [sys.executable, "-m", "bench.growth_bench", "ingest", scratch, str(rows)],
            stdout=subprocess.PIPE,
        )
        assert child.stdout is not None
        output = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        assert child.returncode == 0, f"the ingest child failed ({child.returncode})"
        return float(json.loads(output)["seconds"]), usage.ru_maxrss / 1024  # KiB on Linux


def _ingest_child(folder: Path, rows: int) -> None:
    platform, code, admin = platform_for_bench(folder)
    with platform.database.transaction() as session:
        source_id = register_source(
            session, actor=admin, now=platform.clock.now(), settings=platform.settings,
            code=code, kind="file", config={"folder": "drop"}, secret={},
        ).id  # fmt: skip
    started = time.perf_counter()
    run = ingest(platform, source_id=source_id, run_key="growth")
    seconds = time.perf_counter() - started
    assert run.rows_written == rows, run.error
    print(json.dumps({"seconds": seconds}))


def bench_ingest_growth() -> list[Figure]:
    small_seconds, small_peak = _ingest_in_child(MILLION)
    large_seconds, large_peak = _ingest_in_child(10 * MILLION)
    return [
        _growth("ingest CSV drop -> Iceberg", "rows x 10 columns", "s",
                Point(MILLION, small_seconds), Point(10 * MILLION, large_seconds),
                latency=False),
        Figure(
            name="ingest peak memory, 10M rows x 10 columns (CSV drop, streamed in chunks)",
            value=round(large_peak), unit="MB", target=f"<= {PEAK_MEMORY_MB} MB",
            baseline=round(small_peak), baseline_name="peak memory of the 1M-row ingest",
            ratio=round(large_peak / small_peak, 2), meets_target=large_peak <= PEAK_MEMORY_MB,
            database="sqlite",
        ),
    ]  # fmt: skip


def bench_comparison_growth() -> list[Figure]:
    small, large = comparison_seconds(MILLION), comparison_seconds(10 * MILLION)
    return [
        _growth("comparison of two resources on 3 attributes", "rows each", "s",
                Point(MILLION, small), Point(10 * MILLION, large), latency=False)
    ]  # fmt: skip


def bench_decision_growth() -> list[Figure]:
    small, large = decision_latencies(100_000), decision_latencies(MILLION)
    return [
        _growth("access decision p99", "grants", "ms",
                Point(100_000, small[1]), Point(MILLION, large[1]), latency=True,
                database="in-process")
    ]  # fmt: skip


def bench_page_growth() -> list[Figure]:
    """A snapshot larger than the read cache (32 MiB here, so both sizes are) is served a page
    at a time and downloaded file by file: the first page may not cost more, the download not
    more than in proportion, nor the server hold more, at 10M rows."""
    cache = 32 << 20
    small, large = served_from(MILLION, cache), served_from(10 * MILLION, cache)
    return [
        _growth("data API first page of 100 rows, snapshot beyond the read cache", "rows",
                "ms", Point(MILLION, small.page_ms), Point(10 * MILLION, large.page_ms),
                latency=True),
        _growth("bulk download of that snapshot (3 items, Parquet)", "rows", "s",
                Point(MILLION, small.download_s), Point(10 * MILLION, large.download_s),
                latency=False),
        _growth("data API server peak memory serving those pages and the download", "rows",
                "MB", Point(MILLION, small.peak_mb), Point(10 * MILLION, large.peak_mb),
                latency=True),
    ]  # fmt: skip


@cache
def _filled_chain(records: int) -> Database:
    """A chain of ``records`` audit records, filled once per process (10M take minutes) and
    verified by every run; its folder goes when the process ends."""
    database = _KEPT_DATABASES.enter_context(sqlite_database())
    fill_chain(database, records)
    return database


def _verify_seconds(records: int) -> float:
    with _filled_chain(records).engine.connect() as connection:
        started = time.perf_counter()
        report = verify_chain(connection)
        seconds = time.perf_counter() - started
    assert report.ok, report
    assert report.records_checked == records, report
    return seconds


def bench_verify_growth() -> list[Figure]:
    small, large = _verify_seconds(MILLION), _verify_seconds(10 * MILLION)
    return [
        _growth("audit chain verify", "records", "s",
                Point(MILLION, small), Point(10 * MILLION, large), latency=False)
    ]  # fmt: skip


def bench_search_growth() -> list[Figure]:
    def p95(entries: int) -> float:
        with sqlite_database() as database:
            return bench_search(database, entries=entries, runs=100)[0].value

    small, large = p95(100_000), p95(MILLION)
    return [
        _growth("catalog search p95 (words + 2 filters, total and facets)", "entries", "ms",
                Point(100_000, small), Point(MILLION, large), latency=True)
    ]  # fmt: skip


GROWTH: list[Callable[[], list[Figure]]] = [
    bench_ingest_growth,
    bench_comparison_growth,
    bench_decision_growth,
    bench_page_growth,
    bench_verify_growth,
    bench_search_growth,  # last: loading 1M entries with 10M items takes minutes
]


if __name__ == "__main__" and sys.argv[1:2] == ["ingest"]:
    random.seed(7)
    _ingest_child(Path(sys.argv[2]), int(sys.argv[3]))
