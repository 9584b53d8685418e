"""The bureau's dashboard in a real browser on the demo's months of history: each chart draws
exactly the series its data endpoint returns (read back from the ECharts instance), the table
under it shows the same numbers with or without script, a chart saves as PNG, the flow map opens
the grants behind a flow, and a department sees its own flows only. Screenshots go to
test-artifacts/portal/."""

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_portal import (
    ARTIFACTS,
    CHROMIUM,
    PASSWORD,
    Visitor,
    browser,
    find_entry,
    server,
)

__all__ = ["browser", "server"]  # the module's server and browser, as the portal tests have them

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="Debian's chromium is not installed (make test installs it with fonts-noto-cjk)",
)

# What each chart instance holds, as plain values: series data, heat-map cells, sankey links.
DRAWN = """
() => Array.from(document.querySelectorAll('[data-chart]')).filter(e => !e.hidden).map(e => {
  const option = echarts.getInstanceByDom(e).getOption();
  return {key: e.dataset.chart, series: option.series.map(s => s.type === 'sankey'
    ? s.links.map(l => [l.source, l.target, l.value]) : s.data)};
})
"""


def _table(visitor: Visitor, key: str) -> list[list[str]]:
    return visitor.page.eval_on_selector_all(
        f"#table-{key} tbody tr",
        "rows => rows.map(r => Array.from(r.querySelectorAll('td')).map(c => c.dataset.value))",
    )


def _expected(chart: dict[str, Any]) -> list[Any]:
    if chart["kind"] == "heatmap":
        return [[[x, y, v] for y, s in enumerate(chart["series"])
                 for x, v in enumerate(s["values"]) if v is not None]]  # fmt: skip
    if chart["kind"] == "sankey":
        return [[[f"{f['source']} ▸", f"▸ {f['target']}", f["value"]] for f in chart["links"]]]
    return [s["values"] for s in chart["series"]]


def _as_cell(value: float | int | None) -> str:
    return "" if value is None else str(value)


def _drawn_as_served(visitor: Visitor, endpoint: str) -> dict[str, dict[str, Any]]:
    """Wait for the page's charts, then check each against its data endpoint and its table;
    the endpoint's charts by key, and which of them were drawn."""
    visitor.page.wait_for_selector("#charts[data-drawn=true]")
    figures = visitor.page.request.get(f"{visitor.base}{endpoint}").json()
    drawn = {c["key"]: c["series"] for c in visitor.page.evaluate(DRAWN)}
    charts = {c["key"]: c for c in figures["charts"]}
    for key, series in drawn.items():
        assert series == _expected(charts[key]), key
    for key, chart in charts.items():
        if chart["categories"]:
            assert _table(visitor, key) == [[_as_cell(s["values"][row]) for s in chart["series"]]
                                            for row in range(len(chart["categories"]))], key  # fmt: skip
        assert (key in drawn) == bool(chart["categories"]), key
    return charts


def test_r20_each_chart_draws_what_its_endpoint_returns_and_its_table_shows(
    server: str, browser: Any
) -> None:
    bureau = Visitor(browser, server)
    bureau.sign_in("dsj.bureau_admin")
    bureau.page.click("nav >> text=数据共享驾驶舱")
    charts = _drawn_as_served(bureau, "/supervision/dashboard.json")
    # The demo's history fills the trends: months of reads, decided requests, flows.
    assert sum(charts["shared_per_month"]["series"][0]["values"]) > 10_000
    for on_time in charts["on_time"]["series"]:  # requests (R14) and quality issues (R19)
        assert len([v for v in on_time["values"] if v is not None]) >= 5
    assert len([runs for runs in charts["validation"]["series"][1]["values"] if runs]) >= 5
    assert len(charts["flows"]["links"]) >= 5
    bureau.shot("40-dashboard")

    with bureau.page.expect_download() as saved:
        bureau.page.click("#section-shared_per_month .save-png")
    png = saved.value.path().read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) > 5_000

    # The map's flows open the grants behind them (the table's links are the chart's hrefs).
    first = charts["flows"]["links"][0]
    bureau.page.click("#section-flows summary")
    with bureau.page.expect_navigation():
        bureau.page.click(f"#table-flows a[href='{first['href']}']")
    assert f"{first['source']} → {first['target']}" in bureau.page.inner_text("h1")
    assert bureau.page.locator("#flow-grants tbody tr, #flow-grants tr").count() >= 2
    bureau.shot("41-flow")

    bureau.page.goto(f"{server}/supervision/dashboard?lang=en")
    bureau.page.wait_for_selector("#charts[data-drawn=true]")
    assert bureau.page.inner_text("h1") == "Sharing dashboard"
    assert "Rows shared" in (bureau.page.text_content("#table-shared_per_month") or "")
    bureau.page.goto(f"{server}/supervision/dashboard?lang=zh")
    bureau.close()


def test_r20_without_script_the_tables_are_the_dashboard(server: str, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{server}/login")
    page.fill("#username", "dsj.bureau_admin")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto(f"{server}/supervision/dashboard")
    assert page.locator(".chart:visible").count() == 0
    assert page.locator("details.figures[open]").count() == 10
    rows = page.locator("#table-shared_per_month tbody tr")
    assert rows.count() == 6
    page.screenshot(path=str(ARTIFACTS / "42-dashboard-no-script.png"), full_page=True)
    context.close()


def test_r17_a_department_sees_its_own_flows_and_no_others(server: str, browser: Any) -> None:
    provider = Visitor(browser, server)
    provider.sign_in("scjg.data_reviewer")
    provider.page.goto(f"{server}/supervision/dashboard?department_id=1")  # asks for another
    provider.page.wait_for_selector("#charts[data-drawn=true]")
    figures = provider.page.request.get(
        f"{server}/supervision/dashboard.json?department_id=1"
    ).json()
    own = "市市场监督管理局"
    links = figures["charts"][-1]["links"]
    assert links
    assert all(own in (flow["source"], flow["target"]) for flow in links)
    assert provider.page.locator("#department_id").count() == 0  # no department to choose
    assert figures["department_id"] not in (None, 1)
    refused = provider.page.request.get(f"{server}/supervision/flows/4/5")
    assert refused.status == 404
    provider.close()


def test_r11_r17_r19_r20_the_pages_with_charts_draw_what_they_serve(
    server: str, browser: Any
) -> None:
    """A resource's loads and quality, the steward's trends, a department's reads per grant and
    each scorecard indicator over the year: drawn as served, tabled alike."""
    steward = Visitor(browser, server)
    steward.sign_in("dsj.data_steward")
    steward.page.goto(f"{server}/quality")
    trends = _drawn_as_served(steward, "/quality/charts")
    assert sum(trends["pass_rate"]["series"][1]["values"]) >= 4  # the demo's validations
    steward.shot("43-quality-trends")
    steward.page.goto(f"{server}/supervision/scorecards")
    year = _drawn_as_served(steward, "/supervision/scorecards/charts")
    assert len(year["year_overall"]["categories"]) >= 5  # the months of the demo's history
    steward.shot("44-scorecards-year")
    steward.close()

    provider = Visitor(browser, server)
    provider.sign_in("scjg.data_reviewer")
    provider.page.goto(f"{server}/access/usage?side=provider")
    used = _drawn_as_served(provider, "/access/usage/charts?side=provider")
    assert sum(sum(s["values"]) for s in used["reads_per_grant"]["series"]) > 100
    provider.shot("45-usage-per-grant")
    find_entry(provider, "企业登记", "企业登记信息")
    code = provider.page.url.split("/catalog/")[1].split("?")[0]
    loads = _drawn_as_served(provider, f"/catalog/{code}/charts")
    assert len(loads["rows_per_load"]["categories"]) >= 10  # the demo's loads, months of them
    assert len(loads["quality_per_snapshot"]["categories"]) >= 10
    provider.shot("46-resource-history")
    # Only the steward's view has the city's quality trends.
    assert provider.page.request.get(f"{server}/quality/charts").status == 404
    provider.close()
