"""`python -m bench.report`: the README's table of bench figures and the chart of the growth
curves, written from bench/results.json between its two markers, so they say what the last
`make bench` measured."""

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.harness import read_results

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:g}"


def table(results: dict[str, Any]) -> str:
    # Figures are remeasured a few at a time, so the table's figures come from several machines.
    machines = list(dict.fromkeys(figure["machine"] for figure in results["figures"]))
    keys = {machine: f"M{number}" for number, machine in enumerate(machines, start=1)}
    lines = [
        "Each figure is the median of its runs, with the lowest and highest, measured on the "
        "machine its last column names:",
        "",
        *(f"- {keys[machine]}: {machine}" for machine in machines),
        "",
        "| Figure | Database | Median | Runs (low–high) | Target | Met | Baseline (same run) | Ratio "
        "| Machine |",
        "|---|---|---|---|---|---|---|---|---|",
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
            f"{_number(figure['baseline'])} ({figure['baseline_name']}) | {figure['ratio']} | "
            f"{keys[figure['machine']]} |"
        )
    return "\n".join(lines)


def chart(results: dict[str, Any]) -> str:
    """A Mermaid bar chart (rendered where the README is read): each growth curve's cost at 10x the
    work as a multiple of its cost at 1x, beside the line it may not cross."""
    curves = [f for f in results["figures"] if f.get("curve")]
    if not curves:
        return ""
    labels = ", ".join(f'"{f["name"].removeprefix("growth: ").split(",")[0]}"' for f in curves)
    limits = [float(f["target"].removeprefix("<= ").removesuffix("x")) for f in curves]
    top = max(max(limits), *(f["value"] for f in curves)) * 1.1
    return "\n".join(
        [
            "",
            "```mermaid",
            "xychart-beta",
            '    title "Cost at 10x the work, as a multiple of the cost at 1x (line: the limit)"',
            f"    x-axis [{labels}]",
            f'    y-axis "times the 1x cost" 0 --> {top:.0f}',
            f"    bar [{', '.join(str(f['value']) for f in curves)}]",
            f"    line [{', '.join(f'{limit:g}' for limit in limits)}]",
            "```",
        ]
    )


def main() -> int:
    text = README.read_text(encoding="utf-8")
    if START not in text or END not in text:
        print(f"README.md has no {START} … {END} section", file=sys.stderr)
        return 1
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    results = {"figures": [asdict(figure) for figure in read_results()]}
    README.write_text(
        f"{head}{START}\n{table(results)}\n{chart(results)}\n{END}{tail}", encoding="utf-8"
    )
    print(f"wrote the table of {len(results['figures'])} figures into {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
