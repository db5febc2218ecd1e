"""P5: a run switch (click to every panel painted again) and a new run in live mode (commit to painted), in
headless Chromium against the real server. ``python -m bench p5 [--write]``."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from alpaca_dash.config import Settings
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_range, ingest_run
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import create_user
from alpaca_dash.sources.simulated import SimulatedSource
from alpaca_dash.timescale.database import Database
from alpaca_dash.web.testserver import run_server

from bench.common import Options, Section, format_table, temporary_schema
from bench.p4_dashboard import PASSWORD, USER, VIEWPORT, describe_load, launch, log_in, main, p4_spec

FIRST_RUN = 390000
HISTORY = 3
IMAGE_SIZE = 512
SAMPLES = 100_000
TIMEOUT_MS = 30_000

#: ms (page clock) when every chart had painted after ``since`` and ``images`` panel PNGs arrived after it; else null
PAINTED_AFTER_JS = """([since, images]) => {
  const cards = [...document.querySelectorAll('[data-panel]')];
  if (cards.some(c => c.dataset.state === 'loading')) return null;
  const charts = cards.filter(c => c.dataset.state === 'ready' && !c.querySelector('.panel-table'))
    .map(c => c.querySelector('.panel-chart'));
  if (charts.some(c => !c || !(Number(c.dataset.painted) > since))) return null;
  const pngs = performance.getEntriesByType('resource')
    .filter(e => e.name.includes('/api/images/') && e.startTime > since);
  if (pngs.length < images) return null;
  return Math.max(...charts.map(c => Number(c.dataset.painted)), ...pngs.map(e => e.responseEnd));
}"""


@contextmanager
def live_site(url: str, runs: int) -> Iterator[tuple[str, int, DataAccess, SimulatedSource]]:
    """``HISTORY`` runs stored, ``runs`` more readable from the source, the P4 dashboard, and the server."""
    with tempfile.TemporaryDirectory(prefix="alpaca-bench-") as folder:
        data_dir = Path(folder)
        database = Database(url)
        database.migrate()
        parquet = ParquetStore(data_dir / "parquet", fsync=False)
        source = SimulatedSource(
            seed=5, first_run=FIRST_RUN, history=HISTORY + runs, image_size=IMAGE_SIZE, waveform_samples=SAMPLES
        )
        ingest_range(database, parquet, source, FIRST_RUN, FIRST_RUN + HISTORY - 1)
        access = DataAccess(database, parquet, Settings(database_url=url, data_dir=data_dir))
        owner = create_user(access, USER, PASSWORD, "editor")
        dashboard = store.create_dashboard(access, owner.id, "P5", p4_spec())
        try:
            with run_server(url, data_dir) as server:
                yield server.url, dashboard.id, access, source
        finally:
            database.dispose()


def wait_painted(page: Page, since: float) -> float:
    handle = page.wait_for_function(PAINTED_AFTER_JS, arg=[since, 2], timeout=TIMEOUT_MS, polling=25)
    return float(handle.json_value())


def measure_switches(page: Page, reps: int) -> list[float]:
    """Alternate between the two newest stored runs with the previous / next buttons."""
    seconds = []
    buttons = [page.locator(".q-btn:has(i:text('chevron_left'))"), page.locator(".q-btn:has(i:text('chevron_right'))")]
    for index in range(reps):
        started = float(page.evaluate("performance.now()"))
        buttons[index % 2].click()
        seconds.append(wait_painted(page, started) - started)
    return seconds


def measure_live(page: Page, access: DataAccess, source: SimulatedSource, reps: int) -> list[float]:
    """Commit a new run while the page is in live mode; time from the commit to every panel painted."""
    origin = float(page.evaluate("performance.timeOrigin"))
    seconds = []
    for index in range(reps):
        run = FIRST_RUN + HISTORY + index
        ingest_run(access.db, access.store, source, run)
        committed = time.time() * 1000 - origin  # just after the commit, in the page's clock
        seconds.append(wait_painted(page, committed) - committed)
        page.wait_for_timeout(300)
    return seconds


def summarise_ms(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ms ({min(values):,.0f}-{max(values):,.0f})"


def run(options: Options) -> Section:
    reps = max(5, options.reps)
    load_before = os.getloadavg()[0]
    with (
        temporary_schema(options.targets[0].url, "p5") as url,
        live_site(url, reps) as (site, dashboard_id, access, src),
    ):
        with sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
            log_in(page, site)
            page.goto(f"{site}/dashboard/{dashboard_id}?run={FIRST_RUN + HISTORY - 1}")
            wait_painted(page, 0)
            switches = measure_switches(page, reps)
            page.goto(f"{site}/dashboard/{dashboard_id}?live=1")
            wait_painted(page, 0)
            live = measure_live(page, access, src, reps)
            browser.close()
    load = describe_load(load_before, os.getloadavg()[0])
    table = format_table(
        ["measure", f"median of {reps} (range)", "target"],
        [
            ["run switch: click to every panel painted", summarise_ms(switches), "< 150 ms"],
            ["live: commit to every panel painted", summarise_ms(live), "< 2,000 ms"],
        ],
    )
    body = f"""The P4 dashboard (12 panels; here waveforms of {SAMPLES:,} samples and {IMAGE_SIZE}x{IMAGE_SIZE} images)
in headless Chromium against the real server in its own process. Run switch: from just before Playwright clicks
previous / next to the last chart's ECharts `finished` and the last panel PNG, in the page's clock (it includes the
server's reads and drawing). Live: the page is opened with `&live=1`; the benchmark commits a run through
`ingest_run` and times from its return (just after the commit and its NOTIFY) to every panel painted with the new
run. The page hears of the run through the server's one LISTEN connection; nothing polls, so the time does not grow
with the number of runs stored. {load}

{table}
"""
    return Section("P5", "run switch and live mode in headless Chromium", body)


def _main(argv: list[str] | None = None) -> int:
    return main(argv, benchmark="p5", runner=run)


if __name__ == "__main__":
    sys.exit(_main())
