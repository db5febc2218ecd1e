"""P12: zoom at full resolution. After a zoom settles, the window's detail of a 1e6-sample waveform and of a 5120²
uint16 image is painted in the browser (target < 200 ms), and the server's peak memory for it stays under three
times the array. ``python -m bench p12 [--write]``."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from playwright.sync_api import Page, sync_playwright

from alpaca_dash.config import Settings
from alpaca_dash.content.data import Target
from alpaca_dash.content.spec import DashboardSpec, GridPosition, PanelSpec
from alpaca_dash.content.value_cache import ValueCache
from alpaca_dash.content.zoom import Zoom
from alpaca_dash.domain import Role, RunRecord
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_run
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.panel_data import load_panel
from alpaca_dash.queries.users import create_user
from alpaca_dash.timescale.database import Database
from alpaca_dash.web.testserver import run_server

from bench.common import Options, Section, format_table, page_script, temporary_schema
from bench.p4_dashboard import PASSWORD, USER, launch, log_in, main

RUN, WAVE, CAMERA = 391000, "scope*acq_0*V", "pco*acq_0*image"
SAMPLES, SIDE = 1_000_000, 5120
PAINT_TARGET_MS, MEMORY_TARGET = 200, 3.0
#: the panels' bodies in the page (as the browser sizes them) and in the server-side measurement
SIZE = (900, 420)
#: what the page waits for the zoom to pause before it asks (``ZOOM_SETTLE_MS`` in static/charts.js)
SETTLE_MS = 150
#: zoom windows that the repetitions cycle through, so each is a real load (no panel keeps a zoomed content)
WAVE_WINDOWS = [(100_000 + 37_000 * i, 100_000 + 37_000 * i + 600) for i in range(12)]
IMAGE_WINDOWS = [(1000 + 211 * i, 1256 + 211 * i) for i in range(12)]

#: in the page: zoom the panel's chart to ``window`` (x, and y for an image) as a zoom box would, and resolve with the
#: ms from the moment the zoom settled to the paint of the detail (the series' window samples or the region PNG)
ZOOM_JS = page_script("p12_zoom")
#: in the page: zoom the panel out to its whole range, as the toolbox's reset would
ZOOM_OUT_JS = page_script("p12_zoom_out")


@dataclass(frozen=True)
class Server:
    """What the server side costs for one zoom, warm (the array in the value cache) and cold."""

    warm_ms: list[float]
    cold_ms: float
    peak_bytes: int
    array_bytes: int


class OneRun:
    """A run source of one run: the benchmark's waveform and image."""

    kind = "bench"

    def __init__(self, record: RunRecord) -> None:
        self.record = record

    def latest_run(self) -> int | None:
        return self.record.run

    def available_runs(self, first: int, last: int) -> list[int]:
        return [self.record.run] if first <= self.record.run <= last else []

    def read_run(self, run: int) -> RunRecord:
        return self.record


def the_run() -> RunRecord:
    rng = np.random.default_rng(12)
    wave = rng.normal(0.0, 1.0, SAMPLES)
    image = rng.integers(0, 65_535, size=(SIDE, SIDE), dtype=np.uint16)
    return RunRecord(RUN, None, None, {WAVE: wave, CAMERA: image})


def spec() -> DashboardSpec:
    return DashboardSpec(
        panels=[
            PanelSpec(id="wave", type="line", observables=[WAVE], layout=GridPosition(w=8, h=5)),
            PanelSpec(id="cam", type="image", observables=[CAMERA], layout=GridPosition(x=8, w=4, h=5)),
        ]
    )


@contextmanager
def site(url: str) -> Iterator[tuple[DataAccess, str, int]]:
    with tempfile.TemporaryDirectory(prefix="alpaca-p12-") as folder:
        data_dir = Path(folder)
        database = Database(url)
        database.migrate()
        parquet = ParquetStore(data_dir / "parquet", fsync=False)
        ingest_run(database, parquet, OneRun(the_run()), RUN)
        access = DataAccess(database, parquet, Settings(database_url=url, data_dir=data_dir))
        owner = create_user(access, USER, PASSWORD, Role.EDITOR)
        board = store.create_dashboard(access, owner.id, "P12", spec())
        try:
            with run_server(url, data_dir) as server:
                yield access, server.url, board.id
        finally:
            database.dispose()


def measure_server(access: DataAccess, panel: PanelSpec, zooms: list[Zoom], array_bytes: int, reps: int) -> Server:
    """The zoomed panel's load in this process: once cold under tracemalloc (its peak is what one zoom allocates,
    the array read included), then warm from the value cache, as the dashboard's loads run."""
    cache = ValueCache()
    tracemalloc.start()
    started = time.perf_counter()
    load_panel(access, panel, Target(RUN, zoom=zooms[0]), SIZE, lambda png: "", cache=cache)
    cold = (time.perf_counter() - started) * 1e3
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    warm = []
    for i in range(reps):
        started = time.perf_counter()
        content = load_panel(access, panel, Target(RUN, zoom=zooms[1 + i % (len(zooms) - 1)]), SIZE, lambda png: "",
                             cache=cache)  # fmt: skip
        warm.append((time.perf_counter() - started) * 1e3)
        assert content.state == "ready", content.message
    return Server(warm, cold, peak, array_bytes)


def measure_painted(page: Page, panel: str, windows: list[tuple[int, int]], *, image: bool, reps: int) -> list[float]:
    found = []
    for i in range(reps):
        x = windows[i % len(windows)]
        args: dict[str, Any] = {"panel": panel, "x": list(x), "y": list(x) if image else None, "settle": SETTLE_MS,
                                "expectPoints": None if image else x[1] - x[0] + 1}  # fmt: skip
        found.append(float(page.evaluate(ZOOM_JS, args)))
        page.evaluate(ZOOM_OUT_JS, panel)
        page.wait_for_timeout(600)  # zoomed out: the overview again, before the next window
    return found


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ms ({min(values):,.0f}-{max(values):,.0f})"


def run(options: Options) -> Section:
    target = options.targets[0]
    reps = max(3, options.reps)
    with temporary_schema(target.url, "p12") as url, site(url) as (access, server_url, board):
        board_spec = spec()
        wave_zooms = [Zoom((float(a), float(b))) for a, b in WAVE_WINDOWS]
        image_zooms = [Zoom((float(a), float(b)), (float(a), float(b))) for a, b in IMAGE_WINDOWS]
        wave_server = measure_server(access, board_spec.panels[0], wave_zooms, SAMPLES * 8, reps)
        image_server = measure_server(access, board_spec.panels[1], image_zooms, SIDE * SIDE * 2, reps)
        with sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            log_in(page, server_url)
            page.goto(f"{server_url}/dashboard/{board}?run={RUN}")
            page.wait_for_function(
                "[...document.querySelectorAll('[data-panel] .panel-chart')].every(c => c.dataset.painted)",
                timeout=120_000,
            )
            wave_painted = measure_painted(page, "wave", WAVE_WINDOWS, image=False, reps=reps)
            image_painted = measure_painted(page, "cam", IMAGE_WINDOWS, image=True, reps=reps)
            browser.close()
    rows = []
    for name, server, painted in (
        (f"waveform, {SAMPLES:,} float64 samples, a 601-sample window", wave_server, wave_painted),
        (f"image, {SIDE}² uint16, a 256² region", image_server, image_painted),
    ):
        ratio = server.peak_bytes / server.array_bytes
        rows.append([
            name,
            f"**{_ms(painted)}** {'met' if statistics.median(painted) < PAINT_TARGET_MS else 'not met'}",
            _ms(server.warm_ms),
            f"{server.cold_ms:,.0f} ms",
            f"{server.peak_bytes / 2**20:,.1f} MiB = **{ratio:.2f}x** the array "
            f"{'met' if ratio < MEMORY_TARGET else 'not met'}",
        ])  # fmt: skip
    table = format_table(
        [
            "zoom",
            f"painted after the zoom settled (target < {PAINT_TARGET_MS} ms)",
            "server: detail load, warm",
            "server: first zoom, cold",
            f"server: peak allocation of the cold zoom (target < {MEMORY_TARGET:.0f}x the array)",
        ],
        rows,
    )
    body = f"""{table}

- Painted: the page zooms the panel as a zoom box does (ECharts' dataZoom action), then the time from the moment
  the zoom has settled (the page waits {SETTLE_MS} ms of calm before it asks) to ECharts' paint of the detail: for
  the waveform every one of the window's samples in the series, for the image the region's PNG fetched and drawn.
  Each repetition zooms into another window, then out again, so nothing comes from a panel's kept contents.
- Server: `queries.panel_data.load_panel` with the zoom, in this process. Warm: the array already in the value cache,
  as for every zoom after the first. Cold: the first zoom reads the array from storage (the waveform's bytes from
  PostgreSQL, the image mapped from its sidecar file), under `tracemalloc`, whose peak counts every allocation
  numpy and Python made for it, the array read included.
"""
    return Section("P12", "zoom at full resolution", body)


if __name__ == "__main__":
    sys.exit(main(benchmark="p12", runner=run))
