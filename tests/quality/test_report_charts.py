"""The offline HTML reports carry their charts as inline SVG: no script, nothing fetched, values
written beside the bars, and whatever the data says escaped (R18, R19)."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from exchange.svg_charts import bars
from quality.models import ComparisonRun
from quality.reports import comparison_html
from quality.validation import validate_snapshot
from tests.catalog_fixtures import CatalogWorld, enterprise_register, publish_entry
from tests.quality.test_quality_api import write
from tests.scenarios.people import bearer


def _svg(html: str) -> ET.Element:
    start, end = html.index("<svg"), html.index("</svg>") + len("</svg>")
    return ET.fromstring(html[start:end])


def _written(svg: ET.Element) -> list[str]:
    return [text.text or "" for text in svg.iter("text")]


def test_r19_a_validation_report_draws_its_failing_rows_without_script(
    world: CatalogWorld, client: TestClient
) -> None:
    code = publish_entry(world, enterprise_register())
    write(world, code, ["91440300MA50000001"] * 2, "duplicated")
    run = validate_snapshot(world.platform, code=code)
    report = client.get(f"/api/v1/quality/validation-runs/{run.id}/report",
                        headers={**bearer(world, "resource_admin"), "Accept-Language": "zh"})  # fmt: skip
    assert report.status_code == 200
    svg = _svg(report.text)
    failing = [c for c in run.report["checks"] if not c["success"]]
    assert len(list(svg.iter("rect"))) == len(failing) >= 1
    written = _written(svg)
    for check in failing:
        assert check["check"][:27] in " ".join(written)
        assert f"{check['failed_rows']:,}" in written
    assert svg.find("title").text == "不符行数"  # type: ignore[union-attr]
    assert "<script" not in report.text
    assert "default-src 'none'" in report.headers["Content-Security-Policy"]


def test_r18_a_comparison_report_draws_matched_mismatched_and_missing_keys() -> None:
    run = ComparisonRun(
        id=7, comparison_id=1, left_snapshot_id=1, right_snapshot_id=2,
        finished_at=datetime(2026, 11, 30, 2, 0, tzinfo=UTC), seconds=0.5, left_rows=10,
        right_rows=9, matched=8, mismatched_rows=2, left_only=2, right_only=1, report={},
    )  # fmt: skip
    report = {
        "comparison": "核对", "left": "102/000001", "right": "201/000002", "normalise": [],
        "mismatches": {"enterprise_name": 2}, "findings": [], "findings_shown": 0,
        "findings_total": 5,
    }  # fmt: skip
    svg = _svg(comparison_html(run, report, "en"))
    assert _written(svg) == ["Matched keys", "8", "Mismatched", "2", "left_only", "2",
                             "right_only", "1"]  # fmt: skip
    widths = [float(r.get("width", "0")) for r in svg.iter("rect")]
    assert widths[0] == max(widths)
    assert widths[1] == widths[2] > widths[3] > 0


def test_labels_that_look_like_markup_are_written_as_text() -> None:
    svg = bars("<b>x</b>", ['<script>alert("x")</script>', "a & b"], [3, 0])
    assert "<script>" not in svg
    parsed = ET.fromstring(str(svg))
    assert _written(parsed)[0].startswith("<script>")  # the text, escaped in the markup
    assert parsed.find("title").text == "<b>x</b>"  # type: ignore[union-attr]
    assert bars("nothing", [], []) == ""
