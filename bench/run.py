"""`make bench`: every performance target measured beside its baseline, into bench/results.json."""

import os
import sys

from bench.access_bench import bench_data_api, bench_decisions
from bench.audit_bench import bench_appends, bench_verify
from bench.catalog_bench import bench_search
from bench.harness import Figure, postgres_database, sqlite_database, write_results
from bench.ingest_bench import bench_ingest
from bench.item_access_bench import bench_item_access
from bench.quality_bench import bench_comparison, bench_suite
from bench.upload_bench import bench_upload


def main() -> int:
    figures: list[Figure] = []
    server = os.environ.get("EXCHANGE_BENCH_POSTGRES_URL")
    if server:
        with postgres_database(server) as database:
            figures.append(bench_appends(database, count=2000, writers=1))
            figures.append(bench_appends(database, count=2000, writers=4))
            figures.append(bench_verify(database, records=300_000))
        with postgres_database(server) as database:
            figures.extend(bench_search(database))
        with postgres_database(server) as database:
            figures.extend(bench_data_api(database.url))
    else:
        print(
            "PostgreSQL not available: the audit append figures need it and are left out",
            file=sys.stderr,
        )
    with sqlite_database() as database:
        figures.append(bench_verify(database, records=300_000))
    with sqlite_database() as database:
        figures.extend(bench_search(database))
    figures.extend(bench_ingest())
    figures.extend(bench_decisions())
    figures.extend(bench_suite())
    figures.extend(bench_comparison())
    figures.extend(bench_upload())
    figures.extend(bench_item_access())
    if not server:
        figures.extend(bench_data_api())
    write_results(figures)
    for figure in figures:
        mark = "ok " if figure.meets_target else "MISS"
        print(
            f"[{mark}] {figure.name} ({figure.database}): {figure.value} {figure.unit}; "
            f"baseline {figure.baseline} ({figure.baseline_name}); ratio {figure.ratio}; target {figure.target}"
        )
    return 0 if all(f.meets_target for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
