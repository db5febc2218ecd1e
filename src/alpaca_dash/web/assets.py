"""The browser side of the dashboard kept in files of its own under ``web/static/``, and how a page loads them.

``charts.js`` defines the page's ``alpaca`` object: the functions that chart options refer to (packed series data,
axis labels, tooltips, the image renderer) and those the server calls (new options, PNG preloading and download). It
goes inline into the page's head, as it always has: no request of its own before the first chart draws.
``dashboard.css`` styles the panel cards. ``quality.js`` holds the quality page's grid helpers (``alpacaQuality``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from nicegui import ui

STATIC = Path(__file__).parent / "static"


@cache
def static_text(name: str) -> str:
    """The text of the file ``name`` under ``web/static/``, read once."""
    return (STATIC / name).read_text(encoding="utf-8")


def add_dashboard_assets() -> None:
    """Load the chart helpers and the panel styles into the page being built."""
    ui.add_css(static_text("dashboard.css"))
    ui.add_head_html(f"<script>{static_text('charts.js')}</script>")


def add_quality_assets() -> None:
    """Load the quality grid's helpers into the page being built."""
    ui.add_head_html(f"<script>{static_text('quality.js')}</script>")
