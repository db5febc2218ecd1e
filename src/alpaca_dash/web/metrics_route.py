"""``/metrics``: counters of this process in Prometheus' text format, for operators and the P14 benchmark."""

from __future__ import annotations

from nicegui import app
from starlette.responses import PlainTextResponse

from alpaca_dash.web.dashboard.shared_contents import SharedContents


def add_metrics_route(contents: SharedContents) -> None:
    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> PlainTextResponse:
        lines = [
            "# HELP alpaca_dash_panel_contents_computed_total Panel contents computed by this process.",
            "# TYPE alpaca_dash_panel_contents_computed_total counter",
            f"alpaca_dash_panel_contents_computed_total {contents.computed}",
            "# HELP alpaca_dash_panel_contents_shared_total Panel contents a page got from another page's computation.",
            "# TYPE alpaca_dash_panel_contents_shared_total counter",
            f"alpaca_dash_panel_contents_shared_total {contents.shared}",
        ]
        return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")
