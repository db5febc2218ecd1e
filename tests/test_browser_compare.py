"""In a real Chromium: an overlay of runs with a legend entry per run, a reference in the legend, a trend whose
points lead to their run, and the keys that step runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from page_scripts import probed_page
from playwright.sync_api import Browser, Locator, Page, expect
from polling import TIMEOUT_MS
from test_browser_journey import H_OFFSET, SSPALS_V, log_in, wait_for_panels

from alpaca_dash.content.charts.histogram import HistogramOptions
from alpaca_dash.content.charts.line import LineOptions
from alpaca_dash.content.overlay import Overlay
from alpaca_dash.content.spec import DashboardSpec, GridPosition, PanelSpec
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.runs import update_run_meta

if TYPE_CHECKING:
    from web_fixtures import BrowserSite

pytest_plugins = ["web_fixtures"]
pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: by panel id: the legend's entries and, per series, its name and how many points ECharts holds
#: where (page pixels) the trend point of run ``run`` is drawn


def charts(page: Page) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = page.evaluate("probes.charts")
    return found


def run_field(page: Page) -> Locator:
    return page.get_by_role("spinbutton", name="Run")


def test_overlays_reference_trend_clicks_and_keys(browser_site: BrowserSite, chromium: Browser) -> None:
    site = browser_site
    spec = DashboardSpec(
        panels=[
            PanelSpec(id="wave", type="line", observables=[SSPALS_V], layout=GridPosition(x=0, w=6),
                      options=LineOptions(overlay=Overlay(mode="previous", count=2))),
            PanelSpec(id="hist", type="histogram", observables=[SSPALS_V], layout=GridPosition(x=6, w=6),
                      options=HistogramOptions(normalise="area"), reference_run=390000),
            PanelSpec(id="trend", type="trend", observables=[H_OFFSET], layout=GridPosition(x=0, y=4, w=12)),
        ]
    )  # fmt: skip
    update_run_meta(site.access, 390001, comment="beam <lost>", tags=["calibration"])
    made = store.create_dashboard(site.access, site.users["alice"], "Compare", spec)
    page = probed_page(chromium, viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    log_in(page, site, "alice")
    page.goto(f"{site.url}/dashboard/{made.id}?run=390003")
    wait_for_panels(page, 3)

    found = charts(page)
    assert found["wave"]["legend"] == ["run 390003", "run 390002", "run 390001"]
    assert [name for name, _ in found["wave"]["series"]] == found["wave"]["legend"]
    assert all(points > 100 for _, points in found["wave"]["series"])
    assert found["hist"]["legend"] == ["run 390003", "reference 390000"]
    assert all(points > 10 for _, points in found["hist"]["series"])
    expect(page.locator(".panel-chart canvas").first).to_be_visible()

    # the run's comment and tags are pinned on the trend, and said (as text) by the tooltip
    x, y = page.evaluate("probes.point", ["trend", 390001])
    page.mouse.move(x, y)
    expect(page.get_by_text("run 390001: beam <lost> · calibration")).to_be_visible(timeout=TIMEOUT_MS)

    # a trend point leads to its run; the overlay follows
    x, y = page.evaluate("probes.point", ["trend", 390001])
    page.mouse.click(x, y)
    expect(run_field(page)).to_have_value("390001", timeout=TIMEOUT_MS)
    page.wait_for_function(
        "() => probes.legend('wave') === 'run 390001,run 390000'",
        timeout=TIMEOUT_MS,
    )

    # keys step runs, but not while typing in a field
    page.locator("body").click(position={"x": 5, "y": 500})
    page.keyboard.press("ArrowRight")
    expect(run_field(page)).to_have_value("390002", timeout=TIMEOUT_MS)
    page.keyboard.press("ArrowLeft")
    expect(run_field(page)).to_have_value("390001", timeout=TIMEOUT_MS)
    run_field(page).click()  # a field: its left and right arrows move the cursor, L types nothing
    page.wait_for_function("() => document.activeElement.tagName === 'INPUT'", timeout=TIMEOUT_MS)
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("l")
    page.wait_for_timeout(700)
    assert run_field(page).input_value() == "390001"
    expect(page.get_by_role("switch", name="Live")).to_have_attribute("aria-checked", "false")
    page.locator("body").click(position={"x": 5, "y": 500})
    page.keyboard.press("L")  # live: the newest run
    expect(run_field(page)).to_have_value("390003", timeout=TIMEOUT_MS)
    expect(page.get_by_role("switch", name="Live")).to_have_attribute("aria-checked", "true")
    page.keyboard.press("?")
    expect(page.get_by_text("pin the shown run as the reference")).to_be_visible(timeout=TIMEOUT_MS)
    assert not errors
