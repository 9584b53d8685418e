"""The bench's steady figures: the median run decides, its baseline from the same run, and the
spread of the runs is kept; the README's table says what results.json holds."""

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bench import harness
from bench.harness import Figure, machine_label, read_results, steady, write_results
from bench.report import table
from bench.run import in_earlier_order, not_measured_again


def _figure(value: float, baseline: float) -> Figure:
    return Figure("reads", value, "reads/s", ">= 100", baseline, "constant route",
                  round(value / baseline, 2), value >= 100, "postgresql")  # fmt: skip


def test_a_steady_figure_is_the_median_run_with_its_own_baseline_and_the_spread() -> None:
    runs = iter([(120.0, 400.0), (80.0, 300.0), (101.0, 350.0)])
    [figure] = steady(lambda: [_figure(*next(runs))], runs=3)
    assert (figure.value, figure.baseline, figure.meets_target) == (101.0, 350.0, True)
    assert (figure.low, figure.high, figure.runs) == (80.0, 120.0, 3)


def test_a_target_missed_by_the_median_run_is_missed_whatever_the_best_run() -> None:
    runs = iter([110.0, 90.0, 95.0])
    [figure] = steady(lambda: [_figure(next(runs), 300.0)], runs=3)
    assert (figure.value, figure.meets_target, figure.high) == (95.0, False, 110.0)


def test_the_readme_table_states_median_spread_and_verdict() -> None:
    [figure] = steady(lambda: [_figure(150.0, 300.0)], runs=3)
    text = table({"figures": [figure.__dict__]})
    assert "| reads | postgresql | 150 reads/s | 150–150 (3 runs) | >= 100 | yes |" in text
    assert f"- M1: {machine_label()}" in text
    assert text.endswith("| M1 |")


def test_figures_kept_from_an_earlier_run_keep_the_machine_they_were_measured_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(harness, "RESULTS", tmp_path / "results.json")
    earlier = replace(_figure(120, 100), name="search", machine="Linux-old (2 CPUs, Python 3.11)")
    [measured] = steady(lambda: [_figure(150, 300)], runs=1)
    write_results([earlier, measured])

    kept, again = read_results()
    assert (kept.machine, again.machine) == ("Linux-old (2 CPUs, Python 3.11)", machine_label())
    text = table({"figures": [kept.__dict__, again.__dict__]})
    assert "- M1: Linux-old (2 CPUs, Python 3.11)" in text
    assert text.splitlines()[-2].startswith("| search |")
    assert text.splitlines()[-2].endswith("| M1 |")
    assert text.endswith("| M2 |")


def test_a_results_file_from_before_figures_named_their_machine_still_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(harness, "RESULTS", tmp_path / "results.json")
    figure = _figure(150, 300).__dict__
    del figure["machine"]
    written = {"machine": {"platform": "Linux-x", "cpu_count": 2, "python": "3.11.7"},
               "figures": [figure]}  # fmt: skip
    harness.RESULTS.write_text(json.dumps(written), encoding="utf-8")
    [read] = read_results()
    assert read.machine == "Linux-x (2 CPUs, Python 3.11.7)"


def test_measuring_a_figure_on_one_database_keeps_it_on_the_other() -> None:
    on_postgres, on_sqlite = _figure(150, 100), replace(_figure(120, 100), database="sqlite")
    again = replace(on_postgres, value=160)
    assert not_measured_again([on_postgres, on_sqlite], [again]) == [on_sqlite]


def test_figures_measured_again_keep_their_place_and_new_ones_come_last() -> None:
    first, second, third = (replace(_figure(150, 100), name=n) for n in ("a", "b", "c"))
    again, new = replace(first, value=160), replace(_figure(150, 100), name="d")
    kept = not_measured_again([first, second, third], [again, new])
    ordered = in_earlier_order([*kept, again, new], [first, second, third])
    assert [(f.name, f.value) for f in ordered] == [("a", 160), ("b", 150), ("c", 150), ("d", 150)]
