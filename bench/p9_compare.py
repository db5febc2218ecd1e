"""P9: comparing runs in headless Chromium. A dashboard of 4 overlay panels (10 runs each, 1D of 1e5 samples) and a
trend: a run switch painted, warm; each series read from storage once (the server's ``value_reads`` counter on
``/healthz``); the largest websocket message; a click on a trend point to the dashboard painted at that run.

``python -m bench p9 [--write]``.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import urllib.request
from typing import Any

from playwright.sync_api import Page, sync_playwright

from alpaca_dash.content.charts.histogram import HistogramOptions
from alpaca_dash.content.charts.line import LineOptions
from alpaca_dash.content.charts.scatter import ScatterOptions
from alpaca_dash.content.overlay import Overlay
from alpaca_dash.content.spec import DashboardSpec, GridPosition, PanelSpec
from alpaca_dash.sources.simulated import ELENA, SSPALS

from bench.common import Options, Section, format_table, page_script, temporary_schema
from bench.p4_dashboard import FIRST_RUN, VIEWPORT, WireCounter, bench_site, describe_load, kb, launch, log_in
from bench.p4_dashboard import main as bench_main

SAMPLES = 100_000
#: the shown run and the 9 before it on each panel
OVERLAID = 9
RUNS = 14
SWITCH_TARGET_MS = 250.0
CLICK_TARGET_MS = 300.0
TIMEOUT_MS = 60_000
#: every run switch and every point click is timed at least this often (each takes a fraction of a second)
MIN_REPS = 10
PANELS = ("wave_t", "wave_i", "hist", "scatter")
#: observables the overlay panels read per run (V and its t)
SERIES_PER_RUN = 2

#: in the page: when the user acted (a key or a mouse button, the event's own time stamp)
INSTRUMENT_JS = page_script("p9_instrument")
#: ms from the action to every chart painted at run ``run`` (each overlay panel's legend starting with it), or null
PAINTED_JS = page_script("p9_painted")
#: where (page pixels) the trend draws the point of run ``run``
POINT_JS = page_script("p9_point")


def p9_spec() -> DashboardSpec:
    overlay = Overlay(mode="previous", count=OVERLAID)
    wave, t = f"{SSPALS}*V", f"{SSPALS}*t"
    return DashboardSpec(
        panels=[
            PanelSpec(id="wave_t", type="line", observables=[wave], x=t, options=LineOptions(overlay=overlay),
                      layout=GridPosition(x=0, y=0, w=6, h=4)),
            PanelSpec(id="wave_i", type="line", observables=[wave], options=LineOptions(overlay=overlay),
                      layout=GridPosition(x=6, y=0, w=6, h=4)),
            PanelSpec(id="hist", type="histogram", observables=[wave],
                      options=HistogramOptions(overlay=overlay, normalise="area"),
                      layout=GridPosition(x=0, y=4, w=6, h=4)),
            PanelSpec(id="scatter", type="scatter", observables=[wave], x=t, options=ScatterOptions(overlay=overlay),
                      layout=GridPosition(x=6, y=4, w=6, h=4)),
            PanelSpec(id="trend", type="trend", observables=[f"{ELENA}*H_offset_mm"],
                      layout=GridPosition(x=0, y=8, w=12, h=3)),
        ]
    )  # fmt: skip


def value_reads(site: str) -> int:
    with urllib.request.urlopen(f"{site}/healthz", timeout=10) as response:
        return int(json.loads(response.read())["value_reads"])


def wait_painted(page: Page, run: int) -> float:
    handle = page.wait_for_function(PAINTED_JS, arg=run, timeout=TIMEOUT_MS, polling="raf")
    return float(handle.json_value())


def switch(page: Page, key: str, run: int) -> float:
    page.keyboard.press(key)
    return wait_painted(page, run)


def click_point(page: Page, run: int) -> float:
    x, y = page.evaluate(POINT_JS, run)
    page.mouse.click(x, y)
    return wait_painted(page, run)


def measure(site: str, dashboard_id: int, reps: int) -> dict[str, Any]:
    reps = max(MIN_REPS, reps)
    shown = FIRST_RUN + RUNS - 2
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
        counter = WireCounter()
        counter.attach(page.context.new_cdp_session(page))
        log_in(page, site)
        before_open = value_reads(site)
        # a fixed trend range (not the last runs up to the shown one), so both runs clicked are on the trend
        page.goto(f"{site}/dashboard/{dashboard_id}?run={shown}&runs={FIRST_RUN}-{FIRST_RUN + RUNS - 1}")
        page.wait_for_function(
            "() => document.querySelectorAll('[data-panel] .panel-chart[data-painted]').length === 5",
            timeout=TIMEOUT_MS,
        )
        page.wait_for_timeout(500)
        opened = value_reads(site) - before_open
        page.evaluate(INSTRUMENT_JS)
        page.locator("body").click(position={"x": 5, "y": VIEWPORT["height"] - 5})
        for _ in range(2):  # warm: both runs' contents and the next ones read ahead
            switch(page, "ArrowRight", shown + 1)
            switch(page, "ArrowLeft", shown)
        page.wait_for_timeout(500)
        counter.reset()
        before = value_reads(site)
        switches = []
        for _ in range(reps):
            switches.append(switch(page, "ArrowRight", shown + 1))
            switches.append(switch(page, "ArrowLeft", shown))
        clicks = []
        for _ in range(reps):
            clicks.append(click_point(page, shown + 1))
            clicks.append(click_point(page, shown))
        warm_reads = value_reads(site) - before
        largest = counter.largest_ws
        browser.close()
    return {"opened_reads": opened, "warm_reads": warm_reads, "switches": switches, "clicks": clicks,
            "largest_ws": largest, "reps": reps}  # fmt: skip


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ms ({min(values):,.0f}-{max(values):,.0f})"


def run(options: Options) -> Section:
    target = options.targets[0]
    load_before = os.getloadavg()[0]
    with (
        temporary_schema(target.url, "p9") as url,
        bench_site(url, p9_spec(), images=64, samples=SAMPLES, title="P9", runs=RUNS) as (site, dashboard_id),
    ):
        found = measure(site, dashboard_id, options.reps)
    load = describe_load(load_before, os.getloadavg()[0])
    switches, clicks = found["switches"], found["clicks"]
    expected_reads = SERIES_PER_RUN * (OVERLAID + 1)
    rows = [
        ["run switch painted (warm), 4 overlay panels x 10 runs + a trend", spread(switches),
         f"< {SWITCH_TARGET_MS:,.0f} ms", "met" if statistics.median(switches) < SWITCH_TARGET_MS else "missed"],
        ["trend point clicked to the dashboard painted at that run (warm)", spread(clicks),
         f"< {CLICK_TARGET_MS:,.0f} ms", "met" if statistics.median(clicks) < CLICK_TARGET_MS else "missed"],
        ["series read from storage on opening (10 runs x V and t)", f"{found['opened_reads']}",
         f"{expected_reads} (each once)", "met" if found["opened_reads"] <= expected_reads else "missed"],
        [f"series read from storage in the {len(switches) + len(clicks)} timed switches and clicks",
         f"{found['warm_reads']}", "0 (all from the cache)", "met" if found["warm_reads"] == 0 else "missed"],
        ["largest websocket message in them", kb(found["largest_ws"]), "< 256 kB",
         "met" if found["largest_ws"] < 256 * 1024 else "missed"],
    ]  # fmt: skip
    table = format_table(["measure", f"median of {len(switches)} (range)", "target", ""], rows)
    size = f"{VIEWPORT['width']}x{VIEWPORT['height']}"
    body = f"""A dashboard of 4 overlay panels (V against t and against the index as lines, a histogram normalised
by area, a scatter of V against t), each drawing the shown run and the 9 before it ("previous 9"), and a trend of a
scalar, in headless Chromium ({size}); {RUNS} simulated runs with waveforms of {SAMPLES:,} float64 samples. The
server runs in its own process against plain PostgreSQL. A run switch is the → or ← key between two runs already
shown; a click is a mouse click on a trend point of one of them. Times are the page's own clock from the key's or
button's event to the last chart's ECharts `finished` with every overlay legend at the new run. Reads are the
server's count of values read from storage rather than from its value cache (`value_reads` on `/healthz`): opening
reads each run's V and t once (plus the run the page prepares next), and the timed switches read nothing. {load}

{table}
"""
    return Section("P9", "Comparing runs: overlays, run switch and trend clicks in headless Chromium", body)


def main(argv: list[str] | None = None) -> int:
    return bench_main(argv, benchmark="p9", runner=run)


if __name__ == "__main__":
    sys.exit(main())
