"""In a real Chromium: the difference or ratio to the reference drawn under a waveform and a histogram, zoomed with
the main plot; and two runs ticked in the runs table opening a dashboard with one shown and the other as reference."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from page_scripts import probed_page
from playwright.sync_api import Browser, Page, expect
from polling import TIMEOUT_MS
from test_browser_journey import SSPALS_V, log_in, wait_for_panels

from alpaca_dash.content.charts.common import MINUS
from alpaca_dash.content.charts.histogram import HistogramOptions
from alpaca_dash.content.charts.line import LineOptions
from alpaca_dash.content.spec import DashboardSpec, GridPosition, PanelSpec
from alpaca_dash.queries import dashboards as store

if TYPE_CHECKING:
    from web_fixtures import BrowserSite

pytest_plugins = ["web_fixtures"]
pytestmark = [pytest.mark.browser, pytest.mark.slow]

SSPALS_T = SSPALS_V.removesuffix("V") + "t"


def chart(page: Page, panel: str) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate("probes.grids", panel)
    return found


def test_the_difference_and_ratio_are_drawn_under_the_plot_and_zoom_with_it(
    browser_site: BrowserSite, chromium: Browser, tmp_path: Path
) -> None:
    site = browser_site
    spec = DashboardSpec(
        panels=[
            PanelSpec(id="wave", type="line", observables=[SSPALS_V], x=SSPALS_T, layout=GridPosition(x=0, w=7, h=5),
                      options=LineOptions(reference_plot="difference")),
            PanelSpec(id="hist", type="histogram", observables=[SSPALS_V], layout=GridPosition(x=7, w=5, h=5),
                      options=HistogramOptions(reference_plot="ratio", normalise="area")),
        ],
        reference_run=390000,
    )  # fmt: skip
    made = store.create_dashboard(site.access, site.users["alice"], "Difference", spec)
    page = probed_page(chromium, viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    log_in(page, site, "alice")
    page.goto(f"{site.url}/dashboard/{made.id}?run=390003")
    wait_for_panels(page, 2)

    drawn = [("wave", f"run 390003 {MINUS} reference 390000", 100), ("hist", "run 390003 / reference 390000", 10)]
    for panel, name, least in drawn:
        found = chart(page, panel)
        (main_top, main_height), (sub_top, sub_height) = found["grids"]
        assert sub_top > main_top + main_height and sub_height >= 36  # a second plot below the first
        assert [s[:2] for s in found["series"]] == [["run 390003", 0], ["reference 390000", 0], [name, 1]]
        assert all(points >= least for _, _, points in found["series"])
        assert found["axes"][0] == found["axes"][1]  # one x range
    page.screenshot(path=tmp_path / "reference_plot.png")

    # the wheel over the main plot zooms the sub-plot too
    before = chart(page, "wave")["axes"][0]
    box = page.locator("[data-panel=wave] .panel-chart").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 3)
    for _ in range(3):
        page.mouse.wheel(0, -200)
    page.wait_for_function("probes.zoomedWithin", arg=["wave", (before[1] - before[0]) * 0.9], timeout=TIMEOUT_MS)
    zoomed = chart(page, "wave")
    assert zoomed["axes"][0] == zoomed["axes"][1]
    assert not errors


def test_two_runs_ticked_in_the_runs_table_open_a_dashboard_with_the_older_as_reference(
    browser_site: BrowserSite, chromium: Browser
) -> None:
    site = browser_site
    spec = DashboardSpec(panels=[PanelSpec(id="wave", type="line", observables=[SSPALS_V])])
    made = store.create_dashboard(site.access, site.users["alice"], "Compare", spec)
    page = probed_page(chromium, viewport={"width": 1400, "height": 900})
    log_in(page, site, "alice")
    page.goto(f"{site.url}/runs")
    table = page.locator(".q-table")
    badge = table.locator("tbody tr").first.locator(".q-badge")  # the quality column: a badge in its colour
    expect(badge).to_have_text("good", timeout=TIMEOUT_MS)
    expect(badge).to_have_class(re.compile(r"\bbg-positive\b"))
    for run in (390001, 390003):
        row = table.locator("tbody tr").filter(has=page.get_by_role("cell", name=str(run), exact=True))
        expect(row).to_have_count(1, timeout=TIMEOUT_MS)
        row.get_by_role("checkbox").click()
    expect(table.locator("tbody tr.selected")).to_have_count(2, timeout=TIMEOUT_MS)
    page.get_by_role("button", name="Open the ticked runs").click()

    page.wait_for_url(re.compile(rf"/dashboard/{made.id}\?run=390003&reference=390001$"), timeout=TIMEOUT_MS)
    wait_for_panels(page, 1)
    expect(page.get_by_role("spinbutton", name="Run")).to_have_value("390003", timeout=TIMEOUT_MS)
    legend = chart(page, "wave")["series"]
    assert [name for name, _, _ in legend] == ["run 390003", "reference 390001"]
    assert all(points > 100 for _, _, points in legend)
