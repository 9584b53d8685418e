"""`python -m bench.report`: the README's table of bench figures, written from bench/results.json
between its two markers, so the table says what the last `make bench` measured."""

import json
import sys
from pathlib import Path
from typing import Any

from bench.harness import RESULTS

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:g}"


def table(results: dict[str, Any]) -> str:
    machine = results["machine"]
    lines = [
        f"Measured on {machine['platform']} ({machine['cpu_count']} CPUs, Python "
        f"{machine['python']}); each figure the median of its runs, with the lowest and highest.",
        "",
        "| Figure | Database | Median | Runs (low–high) | Target | Met | Baseline (same run) | Ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for figure in results["figures"]:
        spread = (
            "1 run"
            if figure.get("low") is None
            else f"{_number(figure['low'])}–{_number(figure['high'])} ({figure['runs']} runs)"
        )
        lines.append(
            f"| {figure['name']} | {figure['database']} | {_number(figure['value'])} "
            f"{figure['unit']} | {spread} | {figure['target']} | "
            f"{'yes' if figure['meets_target'] else '**no**'} | "
            f"{_number(figure['baseline'])} ({figure['baseline_name']}) | {figure['ratio']} |"
        )
    return "\n".join(lines)


def main() -> int:
    text = README.read_text(encoding="utf-8")
    if START not in text or END not in text:
        print(f"README.md has no {START} … {END} section", file=sys.stderr)
        return 1
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    results = json.loads(RESULTS.read_text(encoding="utf-8"))
    README.write_text(f"{head}{START}\n{table(results)}\n{END}{tail}", encoding="utf-8")
    print(f"wrote the table of {len(results['figures'])} figures into {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
