"""`make bench`: every performance target measured beside its baseline, into bench/results.json.

Each figure is the median of BENCH_RUNS runs (3 unless set), its baseline measured in the same
run, with the lowest and highest value kept (bench.harness.steady); a target counts as met when
the median run meets it. `python -m bench.report` writes the README's table from the results.

BENCH_ONLY=growth measures only the growth curves (BENCH_ONLY=targets only the rest) and keeps the
other figures already in bench/results.json; BENCH_GROWTH=page,ingest picks curves by their
measure's name and BENCH_TARGETS=data_api,ingest the other figures' measures (bench_ingest,
bench_data_api_postgresql, bench_search_sqlite, …), keeping every figure not measured again.
"""

import os
import sys
from collections.abc import Callable

from bench.access_bench import bench_data_api, bench_decisions
from bench.audit_bench import bench_appends, bench_verify
from bench.catalog_bench import bench_search
from bench.growth_bench import GROWTH
from bench.harness import (
    Figure,
    postgres_database,
    read_results,
    sqlite_database,
    steady,
    write_results,
)
from bench.ingest_bench import bench_ingest
from bench.item_access_bench import bench_item_access
from bench.quality_bench import bench_comparison, bench_suite
from bench.upload_bench import bench_upload
from exchange.db import Database


def _measures(server: str | None) -> list[Callable[[], list[Figure]]]:
    def on_postgres(
        name: str, measure: Callable[[Database], list[Figure]]
    ) -> Callable[[], list[Figure]]:
        def run() -> list[Figure]:
            assert server is not None
            with postgres_database(server) as database:
                return measure(database)

        run.__name__ = f"bench_{name}_postgresql"  # what BENCH_TARGETS picks by
        return run

    def on_sqlite(
        name: str, measure: Callable[[Database], list[Figure]]
    ) -> Callable[[], list[Figure]]:
        def run() -> list[Figure]:
            with sqlite_database() as database:
                return measure(database)

        run.__name__ = f"bench_{name}_sqlite"
        return run

    measures = []
    if server:
        measures += [
            on_postgres("audit", lambda db: [bench_appends(db, count=2000, writers=1),
                                             bench_appends(db, count=2000, writers=4),
                                             bench_verify(db, records=300_000)]),
            on_postgres("search", bench_search),
            on_postgres("data_api", lambda db: bench_data_api(db.url)),
        ]  # fmt: skip
    else:
        print("PostgreSQL not available: the audit append figures need it and are left out",
              file=sys.stderr)  # fmt: skip
    measures += [
        on_sqlite("audit", lambda db: [bench_verify(db, records=300_000)]),
        on_sqlite("search", bench_search),
        bench_ingest,
        bench_decisions,
        bench_suite,
        bench_comparison,
        bench_upload,
        bench_item_access,
    ]
    if not server:
        measures.append(bench_data_api)
    return measures


def main() -> int:
    runs = int(os.environ.get("BENCH_RUNS", "3"))
    only = os.environ.get("BENCH_ONLY", "")
    measures: list[Callable[[], list[Figure]]] = []
    if only != "growth":
        targets = _measures(os.environ.get("EXCHANGE_BENCH_POSTGRES_URL"))
        measures += _picked(targets, "BENCH_TARGETS")
    if only != "targets":
        measures += _picked(GROWTH, "BENCH_GROWTH")
    chosen = os.environ.get("BENCH_TARGETS") or os.environ.get("BENCH_GROWTH")
    earlier = read_results()
    kept = [f for f in earlier if only and (f.name.startswith("growth") != (only == "growth"))]
    figures: list[Figure] = []
    for measure in measures:
        figures.extend(steady(measure, runs))
        if chosen:  # a few measures again: the rest stay as they were
            kept = not_measured_again(earlier, figures)
        # What was measured is kept if a later measure fails; each figure keeps its place, so
        # the README's table reads in the same order from one run to the next.
        write_results(in_earlier_order(kept + figures, earlier))
    for figure in figures:
        mark = "ok " if figure.meets_target else "MISS"
        print(
            f"[{mark}] {figure.name} ({figure.database}): {figure.value} {figure.unit} "
            f"(runs {figure.low}..{figure.high}); baseline {figure.baseline} "
            f"({figure.baseline_name}); ratio {figure.ratio}; target {figure.target}"
        )
    return 0 if all(f.meets_target for f in figures) else 1


def not_measured_again(earlier: list[Figure], measured: list[Figure]) -> list[Figure]:
    """The earlier figures that ``measured`` does not replace: a figure is its name on its
    database (search p95 is measured on both under one name)."""
    remeasured = {(f.name, f.database) for f in measured}
    return [f for f in earlier if (f.name, f.database) not in remeasured]


def _picked(
    measures: list[Callable[[], list[Figure]]], variable: str
) -> list[Callable[[], list[Figure]]]:
    """The measures whose name holds one of the comma-separated words of ``variable``; all of
    them when it is not set."""
    words = [word for word in os.environ.get(variable, "").split(",") if word]
    return [m for m in measures if not words or any(w in m.__name__ for w in words)]


def in_earlier_order(figures: list[Figure], earlier: list[Figure]) -> list[Figure]:
    """``figures`` in the order their namesakes had in ``earlier``; new ones last, as measured."""
    place = {(f.name, f.database): index for index, f in enumerate(earlier)}
    return sorted(figures, key=lambda f: place.get((f.name, f.database), len(place)))


if __name__ == "__main__":
    sys.exit(main())
