"""In a real Chromium: zooming into a waveform brings the raw samples of the window, zooming into an image its
pixels, drawn from the stored arrays; zooming out gives the overview back."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from page_scripts import probed_page
from PIL import Image
from playwright.sync_api import Browser, Page
from polling import TIMEOUT_MS
from test_browser_journey import log_in, wait_for_panels

from alpaca_dash.content.spec import DashboardSpec, GridPosition, PanelSpec
from alpaca_dash.domain import RunRecord
from alpaca_dash.pipeline.ingest import ingest_run
from alpaca_dash.queries import dashboards as store

from memory_source import MemorySource

if TYPE_CHECKING:
    from web_fixtures import BrowserSite

pytest_plugins = ["web_fixtures"]
pytestmark = [pytest.mark.browser, pytest.mark.slow]

RUN, WAVE, CAMERA = 390500, "scope*acq_0*V", "camera*acq_0*image"
SAMPLES = 200_000

#: the panel's chart, its first series' points inside the x zoom window, and the window


def shown(page: Page, panel: str) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate("probes.shown", panel)
    return result


def wheel_in(page: Page, panel: str, clicks: int) -> None:
    """Zoom in with the mouse wheel over the middle of the panel's chart, as a user does."""
    box = page.locator(f'[data-panel="{panel}"] .panel-chart').bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(clicks):
        page.mouse.wheel(0, -400)
        page.wait_for_timeout(40)


def colours(png: bytes) -> int:
    return len(np.unique(np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3), axis=0))


def test_zoom_reads_the_stored_samples_and_pixels(browser_site: BrowserSite, chromium: Browser) -> None:
    site = browser_site
    rng = np.random.default_rng(21)
    wave = rng.normal(0.0, 1.0, SAMPLES).astype(np.float32)
    image = rng.integers(0, 60_000, size=(2048, 2048), dtype=np.uint16)
    source = MemorySource({RUN: RunRecord(RUN, None, None, {WAVE: wave, CAMERA: image})})
    ingest_run(site.access.db, site.access.store, source, RUN)
    spec = DashboardSpec(
        panels=[
            PanelSpec(id="wave", type="line", observables=[WAVE], layout=GridPosition(w=8, h=5)),
            PanelSpec(id="cam", type="image", observables=[CAMERA], layout=GridPosition(x=8, w=4, h=5)),
        ]
    )
    made = store.create_dashboard(site.access, site.users["alice"], "Zoom", spec)
    page = probed_page(chromium, viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    log_in(page, site, "alice")
    page.goto(f"{site.url}/dashboard/{made.id}?run={RUN}")
    wait_for_panels(page, 2)

    overview = shown(page, "wave")
    assert overview["total"] < 5000  # downsampled for the screen
    wheel_in(page, "wave", 8)  # a wide window first: more points than the overview had there, still thinned
    page.wait_for_function(
        "(p) => { const s = probes.shown(p); return s.zoom[0] && s.zoom[0][2] > 0 && s.inside > 1000; }",
        arg="wave",
        timeout=TIMEOUT_MS,
        polling=100,
    )
    # then a window of 601 samples, as a zoom box or many wheel steps would give
    page.evaluate("probes.zoom", ["wave", {"startValue": 100_000, "endValue": 100_600}])
    page.wait_for_function("(p) => probes.shown(p).inside >= 601", arg="wave", timeout=TIMEOUT_MS, polling=100)
    zoomed = shown(page, "wave")
    assert [x for x, _ in zoomed["sample"]] == list(range(100_000, 100_400))  # every sample, in order
    for x, y in zoomed["sample"]:
        assert y == pytest.approx(float(wave[int(x)]), rel=1e-6)  # the stored values

    wheel_in(page, "cam", 10)
    page.wait_for_function("(p) => probes.shown(p).images.length === 2", arg="cam", timeout=TIMEOUT_MS, polling=100)
    urls = shown(page, "cam")["images"]
    whole, region = (page.request.get(site.url + url).body() for url in urls)
    zoom = shown(page, "cam")["zoom"]
    c0, c1, r0, r1 = zoom[0][0], zoom[0][1], zoom[1][0], zoom[1][1]
    overview_png = np.asarray(Image.open(io.BytesIO(whole)).convert("RGB"))
    scale = overview_png.shape[1] / 2048
    crop = overview_png[int(r0 * scale) : int(r1 * scale) + 1, int(c0 * scale) : int(c1 * scale) + 1]
    assert colours(region) > 2 * len(np.unique(crop.reshape(-1, 3), axis=0))  # sharper: the region's own pixels

    page.locator('[data-panel="wave"] .panel-chart').dblclick()  # no-op for ECharts; zoom out as users do:
    page.evaluate("probes.zoom", ["wave", {"start": 0, "end": 100}])
    page.wait_for_function("(p) => probes.shown(p).total < 5000", arg="wave", timeout=TIMEOUT_MS, polling=100)
    assert not [e for e in errors if "alpaca" in e or "charts.js" in e]
