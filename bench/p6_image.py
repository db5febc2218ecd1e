"""P6: one 1024² image panel, from the run switch to the image on screen, against a raw ECharts heatmap of the same
array. ``python -m bench.p6_image [--write]`` (or ``python -m bench p6`` once registered)."""

from __future__ import annotations

import base64
import os
import statistics
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
from playwright.sync_api import Page, sync_playwright

from alpaca_dash.content.colormaps import color_stops
from alpaca_dash.content.spec import DashboardSpec, GridPosition, PanelSpec
from alpaca_dash.sources.simulated import CCD, SimulatedSource

from bench.common import Options, Section, format_table, page_script, temporary_schema
from bench.p4_dashboard import (
    ALL_PAINTED_JS,
    FIRST_RUN,
    WireCounter,
    bench_site,
    describe_load,
    kb,
    launch,
    log_in,
    main,
    median_of,
)

VIEWPORT = {"width": 1200, "height": 1250}

#: in the browser: switch to the next run and resolve with the ms until the new PNG is drawn
SWITCH_RUN_JS = page_script("p6_switch_run")

#: in the browser: the same array as a raw ECharts heatmap, as a server would ship it in a chart option (JSON);
#: run on a page of its own
HEATMAP_JS = page_script("p6_heatmap")


@dataclass(frozen=True)
class Switch:
    ms: float
    png: int
    fetch_ms: float
    ws: int
    largest_ws: int

    @property
    def total(self) -> int:
        return self.png + self.ws


@dataclass(frozen=True)
class Heatmap:
    ms: float
    bytes: int


def p6_spec() -> DashboardSpec:
    """One image panel large enough to show all 1024x1024 pixels."""
    return DashboardSpec(
        panels=[PanelSpec(id="ccd", type="image", observables=[CCD], layout=GridPosition(x=0, y=0, w=12, h=16))]
    )


def switch_run(page: Page, counter: WireCounter) -> Switch:
    counter.reset()
    result: dict[str, Any] = page.evaluate(SWITCH_RUN_JS)
    page.wait_for_timeout(300)
    return Switch(float(result["ms"]), int(result["png"]), float(result["fetch"]), counter.ws_in, counter.largest_ws)


def same_array() -> np.ndarray[Any, Any]:
    """The image of the run the panel shows last: the simulated source is deterministic by seed and run."""
    source = SimulatedSource(seed=4, first_run=FIRST_RUN, history=2, image_size=1024, waveform_samples=16)
    array: np.ndarray[Any, Any] = source.read_run(FIRST_RUN + 1).values[CCD]
    return array.astype(np.float32)


def run(options: Options) -> Section:
    target = options.targets[0]
    spec = p6_spec()
    switches: list[Switch] = []
    heatmaps: list[Heatmap] = []
    load_before = os.getloadavg()[0]
    with temporary_schema(target.url, "p6") as url, bench_site(url, spec, samples=16, title="P6") as (site, board):
        with sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
            counter = WireCounter()
            counter.attach(page.context.new_cdp_session(page))
            log_in(page, site)
            for _ in range(options.reps):
                page.goto(f"{site}/dashboard/{board}?run={FIRST_RUN}")
                page.evaluate("window.__expectedImages = 1")
                page.wait_for_function(ALL_PAINTED_JS, arg=1, timeout=60_000, polling=20)
                switches.append(switch_run(page, counter))
            payload = {
                "b64": base64.b64encode(same_array().tobytes()).decode(),
                "side": 1024,
                "colors": color_stops("viridis"),
            }
            for _ in range(options.reps):
                page.goto(f"{site}/dashboard/{board}?run={FIRST_RUN}")
                page.wait_for_function(ALL_PAINTED_JS, arg=1, timeout=60_000, polling=20)
                result: dict[str, Any] = page.evaluate(HEATMAP_JS, payload)
                heatmaps.append(Heatmap(float(result["ms"]), int(result["bytes"])))
            browser.close()
    load = describe_load(load_before, os.getloadavg()[0])
    png = statistics.median(s.png for s in switches)
    heat = statistics.median(h.ms for h in heatmaps)
    ours = statistics.median(s.ms for s in switches)
    rows = [
        ["run switch to image painted", median_of(switches, "ms"), median_of(heatmaps, "ms"), "< 150 ms"],
        ["of which the PNG request", median_of(switches, "fetch_ms"), "", ""],
        ["bytes for the image", kb(png), kb(statistics.median(h.bytes for h in heatmaps)), "< 1,229 kB"],
        ["websocket bytes of the switch", median_of(switches, "ws", 1024, " kB"), "", ""],
        ["largest websocket message", median_of(switches, "largest_ws", 1024, " kB"), "", "< 256 kB"],
        ["heatmap ÷ PNG panel", "", f"{heat / ours:.1f}x the time", ""],
    ]
    table = format_table(["measure", "image panel (server PNG)", "raw ECharts heatmap", "target"], rows)
    body = f"""One image panel of {VIEWPORT["width"]}x{VIEWPORT["height"]} pixels showing a 1024x1024 float32 CCD image
(viridis, min-max). Measured in headless Chromium: from the click on "next run" until the new run's PNG has arrived
and ECharts has drawn it (`finished` after the PNG's `responseEnd`), with the server in its own process against
plain PostgreSQL. The server reads the array from the Parquet sidecar, averages it down to the panel's pixels
(here the full 1024x1024), colours it through a 256-entry lookup table and sends an 8-bit palette PNG over HTTP;
the websocket carries only the chart option with the PNG's URL. The baseline draws the same array as an ECharts
heatmap: its series JSON (what a server would have to send in the chart option), `JSON.parse` and `setOption`
until `finished`, without even counting the transfer. Its JSON would also exceed engine.io's 1 MB message limit.
{load}

{table}
"""
    return Section("P6", "a 1024² image to the browser", body)


if __name__ == "__main__":
    sys.exit(main(benchmark="p6", runner=run))
