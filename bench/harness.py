"""Shared by the benchmarks: temporary databases, timing, and the results file."""

import json
import os
import platform
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from exchange.db import Database
from migrations import upgrade

RESULTS = Path(__file__).parent / "results.json"


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    target: str
    baseline: float
    baseline_name: str
    ratio: float
    meets_target: bool
    database: str
    # Over the runs of a steady figure (see steady): the lowest and highest value, how many runs.
    low: float | None = None
    high: float | None = None
    runs: int = 1
    # A growth figure's two points, (work, value) at 1x and at 10x.
    curve: tuple[tuple[int, float], ...] | None = None
    # Where it was measured (machine_label): a run that measures some figures again keeps the
    # others as they were, measured on whatever machine ran them.
    machine: str = ""


def steady(measure: Callable[[], list[Figure]], runs: int = 3) -> list[Figure]:
    """Each figure of ``measure`` as the median of ``runs`` runs, its baseline from the same run
    (so the ratio and the verdict are of one run, the median one), with the lowest and highest
    value kept: one run proves little on a shared machine."""
    results = [measure() for _ in range(runs)]
    figures = []
    for position, first in enumerate(results[0]):
        same = sorted((run[position] for run in results), key=lambda figure: figure.value)
        assert all(figure.name == first.name for figure in same), "a run measured other figures"
        median = same[len(same) // 2]
        figures.append(
            replace(
                median, low=same[0].value, high=same[-1].value, runs=runs, machine=machine_label()
            )
        )
    return figures


def machine_label() -> str:
    return _label(
        {
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
        }
    )


def _label(machine: dict[str, object]) -> str:
    return f"{machine['platform']} ({machine['cpu_count']} CPUs, Python {machine['python']})"


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


@contextmanager
def sqlite_database() -> Iterator[Database]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        upgrade(url)
        database = Database(url)
        yield database
        database.dispose()


@contextmanager
def postgres_database(server_url: str) -> Iterator[Database]:
    name = f"exchange_bench_{uuid.uuid4().hex[:8]}"
    maintenance = make_url(server_url).set(drivername="postgresql", database="postgres")
    dsn = maintenance.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        database = Database(url, pool_size=8)
        yield database
        database.dispose()
    finally:
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def read_results() -> list[Figure]:
    if not RESULTS.exists():
        return []
    results = json.loads(RESULTS.read_text(encoding="utf-8"))
    # Files written before figures named their machine named one for all of them.
    written_on = _label(results["machine"]) if "machine" in results else ""
    return [
        Figure(**{"machine": written_on, **f, "curve": _curve(f.get("curve"))})
        for f in results["figures"]
    ]


def _curve(points: list[list[float]] | None) -> tuple[tuple[int, float], ...] | None:
    return None if points is None else tuple((int(work), float(value)) for work, value in points)


def write_results(figures: list[Figure]) -> None:
    RESULTS.write_text(
        json.dumps(
            {"figures": [asdict(f) for f in figures]},
            ensure_ascii=False,
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
