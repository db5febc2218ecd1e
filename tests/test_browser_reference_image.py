"""In a real Chromium: an image panel draws the reference run's image beside the run's, or their difference, with
labels, as ECharts paints them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from page_scripts import probed_page
from playwright.sync_api import Browser, Page
from polling import TIMEOUT_MS
from test_browser_journey import CCD, log_in, wait_for_panels

from alpaca_dash.content.charts.image import ImageOptions
from alpaca_dash.content.spec import DashboardSpec, GridPosition, PanelSpec
from alpaca_dash.domain import RunRecord
from alpaca_dash.pipeline.ingest import ingest_range
from alpaca_dash.queries import dashboards as store

from memory_source import MemorySource

if TYPE_CHECKING:
    from web_fixtures import BrowserSite

pytest_plugins = ["web_fixtures"]
pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: what ECharts drew for a panel: its images (by URL), its texts, and each grid's pixels per image pixel


def drawn(page: Page, panel: str) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate("probes.drawn", panel)
    return result


def test_reference_beside_and_subtracted_as_painted(browser_site: BrowserSite, chromium: Browser) -> None:
    site = browser_site
    spec = DashboardSpec(
        panels=[
            PanelSpec(id="side", type="image", observables=[CCD], layout=GridPosition(w=8, h=5)),
            PanelSpec(
                id="diff",
                type="image",
                observables=[CCD],
                options=ImageOptions(reference_view="difference"),
                layout=GridPosition(x=8, w=4, h=5),
            ),
        ],
        reference_run=390000,
    )
    made = store.create_dashboard(site.access, site.users["alice"], "Reference", spec)
    page = probed_page(chromium, viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    log_in(page, site, "alice")
    page.goto(f"{site.url}/dashboard/{made.id}?run=390002")
    wait_for_panels(page, 2)
    page.wait_for_function(
        "(p) => probes.images(p).length === 2",
        arg="side",
        timeout=TIMEOUT_MS,
        polling=100,
    )
    side = drawn(page, "side")
    assert len(side["images"]) == 2 and side["images"][0] == side["images"][1]
    assert {"run 390002", "reference 390000"} <= set(side["texts"])
    for across, down in side["scales"]:
        assert abs(across - down) <= 0.02 * across  # square pixels in both
    difference = drawn(page, "diff")
    assert len(difference["images"]) == 1 and "run 390002 \N{MINUS SIGN} reference 390000" in difference["texts"]

    # run 390004's image has another shape: the run's own image, with a note that wraps inside it
    record = RunRecord(390004, None, None, {CCD: np.zeros((40, 120), dtype=np.float32)})
    ingest_range(site.access.db, site.access.store, MemorySource({390004: record}), 390004, 390004)
    page.goto(f"{site.url}/dashboard/{made.id}?run=390004")
    wait_for_panels(page, 2)
    side = drawn(page, "side")
    assert len(side["images"]) == 1 and len(side["scales"]) == 1
    size, times = "256\N{MULTIPLICATION SIGN}256", "\N{MULTIPLICATION SIGN}"
    note = f"run 390004 · reference 390000 is {size}, not 120{times}40: not compared"
    assert note in side["texts"]  # on one line in the wide panel
    wrapped = drawn(page, "diff")["texts"]
    assert note not in wrapped and note.replace(" ", "") in "".join(wrapped).replace(" ", "")  # over lines
    assert not errors, errors
