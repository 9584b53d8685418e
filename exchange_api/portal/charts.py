"""Pages with charts: the figures a page's tables show, and the same figures as its data
endpoint answers them (the macro in ``templates/_charts.html`` draws one over the other)."""

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from exchange.charts import Chart
from exchange_api.portal.web import language


def chart_context(request: Request, charts: list[Chart], endpoint: str) -> dict[str, Any]:
    """What a template's ``charts.sections(chart_figures, chart_source)`` needs; the endpoint gets
    the page's own query, so that the chart and the table show the same window."""
    query = request.url.query
    return {
        "chart_figures": [chart.as_json(language(request)) for chart in charts],
        "chart_source": endpoint + (f"?{query}" if query else ""),
    }


def charts_answer(request: Request, charts: list[Chart]) -> JSONResponse:
    return JSONResponse({"charts": [chart.as_json(language(request)) for chart in charts]})
