"""P4: a 12-panel dashboard in headless Chromium: time until every panel has painted, bytes on the wire, largest
websocket message. ``python -m bench.p4_dashboard [--write]`` (or ``python -m bench p4`` once registered)."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, CDPSession, Page, sync_playwright

from alpaca_dash.config import Settings
from alpaca_dash.content.charts.histogram import HistogramOptions
from alpaca_dash.content.charts.image import ImageOptions
from alpaca_dash.content.spec import DashboardSpec, GridPosition, PanelSpec
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_range
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import Role, create_user
from alpaca_dash.sources.simulated import CCD, ELENA, SSPALS, SimulatedSource
from alpaca_dash.timescale.database import Database
from alpaca_dash.web.testserver import run_server

from bench.common import (
    DEFAULT_REPS,
    Options,
    Section,
    format_table,
    page_script,
    render_section,
    resolve_targets,
    temporary_schema,
    write_section,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
USER, PASSWORD = "bench", "bench-password"
FIRST_RUN = 390000
VIEWPORT = {"width": 1600, "height": 1000}
PAINT_TIMEOUT_MS = 60_000

#: in the browser: ms since navigation when every panel had painted (its chart's last "finished", the images'
#: PNG received), or null while some panel is still loading
ALL_PAINTED_JS = page_script("p4_all_painted")


def p4_spec() -> DashboardSpec:
    """8 stat/line/histogram panels, 2 waveforms of 1e6 samples and 2 images of 1024x1024."""
    stats = [f"{ELENA}*H_offset_mm", f"{ELENA}*V_offset_mm", f"{ELENA}*Intensity_E7", "SC56_coinc*event_count"]
    panels = [
        PanelSpec(id=f"stat{i}", type="stat", observables=[name], layout=GridPosition(x=3 * i, y=0, w=3, h=3))
        for i, name in enumerate(stats)
    ]
    panels += [
        PanelSpec(
            id="wave_t", type="line", observables=[f"{SSPALS}*V"], x=f"{SSPALS}*t", layout=GridPosition(y=3, w=6)
        ),
        PanelSpec(id="wave_i", type="line", observables=[f"{SSPALS}*V"], layout=GridPosition(x=6, y=3, w=6)),
        PanelSpec(id="ccd_auto", type="image", observables=[CCD], layout=GridPosition(y=7, w=6, h=6)),
        PanelSpec(
            id="ccd_pct",
            type="image",
            observables=[CCD],
            options=ImageOptions(colormap="inferno", z_mode="percentile"),
            layout=GridPosition(x=6, y=7, w=6, h=6),
        ),
        PanelSpec(id="hist_v", type="histogram", observables=[f"{SSPALS}*V"], layout=GridPosition(y=13, w=3)),
        PanelSpec(
            id="hist_clock",
            type="histogram",
            observables=["SC56_coinc*event_clock"],
            options=HistogramOptions(log_y=True),
            layout=GridPosition(x=3, y=13, w=3),
        ),
        PanelSpec(id="clock", type="line", observables=["SC56_coinc*event_clock"], layout=GridPosition(x=6, y=13, w=3)),
        PanelSpec(id="time", type="line", observables=[f"{SSPALS}*t"], layout=GridPosition(x=9, y=13, w=3)),
    ]
    return DashboardSpec(panels=panels)


@dataclass
class WireCounter:
    """Bytes seen by Chromium's network layer: HTTP bodies and headers as sent, websocket frame payloads."""

    http: int = 0
    ws_in: int = 0
    ws_out: int = 0
    largest_ws: int = 0
    requests: list[str] = field(default_factory=list)

    def attach(self, cdp: CDPSession) -> None:
        cdp.send("Network.enable")
        cdp.on("Network.loadingFinished", self._http)
        cdp.on("Network.webSocketFrameReceived", self._frame_in)
        cdp.on("Network.webSocketFrameSent", self._frame_out)

    def reset(self) -> None:
        self.http = self.ws_in = self.ws_out = self.largest_ws = 0
        self.requests.clear()

    def _http(self, event: dict[str, Any]) -> None:
        self.http += int(event.get("encodedDataLength", 0))

    def _frame_in(self, event: dict[str, Any]) -> None:
        size = len(event["response"]["payloadData"].encode())
        self.ws_in += size
        self.largest_ws = max(self.largest_ws, size)

    def _frame_out(self, event: dict[str, Any]) -> None:
        self.ws_out += len(event["response"]["payloadData"].encode())

    @property
    def total(self) -> int:
        return self.http + self.ws_in + self.ws_out


@dataclass(frozen=True)
class Visit:
    painted_ms: float
    http: int
    ws: int
    largest_ws: int

    @property
    def total(self) -> int:
        return self.http + self.ws


@contextmanager
def bench_site(
    url: str, spec: DashboardSpec, *, images: int = 1024, samples: int = 1_000_000, title: str = "P4", runs: int = 2
) -> Iterator[tuple[str, int]]:
    """A schema with ``runs`` simulated runs, the bench user and a dashboard, served in a subprocess.

    :returns: the server's URL and the dashboard id.
    """
    with tempfile.TemporaryDirectory(prefix="alpaca-bench-") as folder:
        data_dir = Path(folder)
        database = Database(url)
        database.migrate()
        parquet = ParquetStore(data_dir / "parquet", fsync=False)
        source = SimulatedSource(seed=4, first_run=FIRST_RUN, history=runs, image_size=images, waveform_samples=samples)
        ingest_range(database, parquet, source, FIRST_RUN, FIRST_RUN + runs - 1)
        access = DataAccess(database, parquet, Settings(database_url=url, data_dir=data_dir))
        owner = create_user(access, USER, PASSWORD, Role.EDITOR)
        dashboard = store.create_dashboard(access, owner.id, title, spec)
        try:
            with run_server(url, data_dir) as server:
                yield server.url, dashboard.id
        finally:
            database.dispose()


def launch(playwright: Any) -> Browser:
    browser: Browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    return browser


def log_in(page: Page, site: str) -> None:
    page.goto(f"{site}/login")
    page.get_by_label("Username").fill(USER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("[data-testid=page-title]:has-text('Dashboards')")


def visit(page: Page, counter: WireCounter, target: str, panels: int, images: int) -> Visit:
    """Open the dashboard and wait until every panel has painted; a trailing half second catches late frames."""
    counter.reset()
    page.goto(target, wait_until="commit")
    page.evaluate(f"window.__expectedImages = {images}")
    handle = page.wait_for_function(ALL_PAINTED_JS, arg=panels, timeout=PAINT_TIMEOUT_MS, polling=20)
    painted = float(handle.json_value())
    page.wait_for_timeout(500)
    return Visit(painted, counter.http, counter.ws_in + counter.ws_out, counter.largest_ws)


def describe_load(before: float, after: float) -> str:
    """The machine's load while measuring: other work on the same cores slows the browser and the server alike."""
    busy = " (other jobs shared the machine)" if before > 1.5 else ""
    return (
        f"One-minute load average {before:.1f} before and {after:.1f} after the measurement on "
        f"{os.cpu_count()} CPUs{busy}."
    )


def kb(value: float) -> str:
    return f"{value / 1024:,.0f} kB"


def run(options: Options) -> Section:
    target = options.targets[0]
    spec = p4_spec()
    load_before = os.getloadavg()[0]
    with temporary_schema(target.url, "p4") as url, bench_site(url, spec) as (site, dashboard_id):
        with sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
            counter = WireCounter()
            counter.attach(page.context.new_cdp_session(page))
            log_in(page, site)
            address = f"{site}/dashboard/{dashboard_id}?run={FIRST_RUN + 1}"
            cold = visit(page, counter, address, len(spec.panels), 2)
            warm = [visit(page, counter, address, len(spec.panels), 2) for _ in range(options.reps)]
            browser.close()
    load = describe_load(load_before, os.getloadavg()[0])
    rows = [
        ["all 12 panels painted", f"{cold.painted_ms:,.0f} ms", median_of(warm, "painted_ms"), "< 1,500 ms"],
        ["HTTP bytes (page, scripts, PNGs; compressed)", kb(cold.http), median_of(warm, "http", 1024, " kB"), ""],
        ["websocket bytes (both ways)", kb(cold.ws), median_of(warm, "ws", 1024, " kB"), ""],
        ["total on the wire", kb(cold.total), median_of(warm, "total", 1024, " kB"), "< 1,024 kB"],
        ["largest websocket message", kb(cold.largest_ws), median_of(warm, "largest_ws", 1024, " kB"), "< 256 kB"],
    ]  # fmt: skip
    table = format_table(
        ["measure", "first visit (cold cache)", f"median of {options.reps} visits (warm cache)", "target"], rows
    )
    size = f"{VIEWPORT['width']}x{VIEWPORT['height']}"
    body = f"""A dashboard of 12 panels at run {FIRST_RUN + 1}, opened in headless Chromium ({size}): 4 stats,
2 histograms and 2 lines (one of 1e6 samples, one short), 2 waveforms of 1e6 float64 samples (V against t, V against
the index) and 2 images of 1024x1024 float32 (min-max viridis, percentile inferno). The server runs in its own process
(`python -m alpaca_dash.web`, as in production) against plain PostgreSQL. "Painted" is the latest of every chart's
ECharts `finished` event and the arrival of every panel PNG, in the page's own clock from the start of navigation.
Bytes are what Chromium's network layer saw (HTTP as encoded on the wire, websocket frame payloads). The first visit
also downloads NiceGUI's, Vue's, Quasar's and ECharts' scripts; later visits find them cached. {load}

{table}
"""
    return Section("P4", "12-panel dashboard in headless Chromium", body)


def median_of(visits: list[Any], attribute: str, scale: float = 1.0, unit: str = " ms") -> str:
    """``123 ms (110-140)``: the median and range of one attribute over the visits."""
    values = [float(getattr(v, attribute)) / scale for v in visits]
    return f"{statistics.median(values):,.0f}{unit} ({min(values):,.0f}-{max(values):,.0f})"


def main(argv: list[str] | None = None, *, benchmark: str = "p4", runner: Any = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m bench {benchmark}")
    parser.add_argument("--database-url", help="plain PostgreSQL (default: $ALPACA_DASH_BENCH_DATABASE_URL or local)")
    parser.add_argument("--reps", type=int, default=DEFAULT_REPS)
    parser.add_argument("--write", action="store_true", help="replace this benchmark's section of docs/performance.md")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    shown = [benchmark, *(["--reps", str(args.reps)] if args.reps != DEFAULT_REPS else []), "--write"]
    options = Options(resolve_targets(args.database_url, timescale=False), args.reps, args.write, shown)
    section = (runner or run)(options)
    text = render_section(section, options)
    print(text)
    if args.write:
        write_section(text, section.key)
    return 0


if __name__ == "__main__":
    sys.exit(main())
