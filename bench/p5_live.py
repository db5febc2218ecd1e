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
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from alpaca_dash.config import Settings
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_range, ingest_run
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import Role, create_user
from alpaca_dash.sources.simulated import SimulatedSource
from alpaca_dash.timescale.database import Database
from alpaca_dash.web.testserver import run_server

from bench.common import Options, Section, format_table, page_script, temporary_schema
from bench.p4_dashboard import PASSWORD, USER, VIEWPORT, describe_load, launch, log_in, main, p4_spec

FIRST_RUN = 390000
IMAGE_SIZE = 512
SAMPLES = 100_000
TIMEOUT_MS = 30_000

#: ms (page clock) when every chart had painted after ``since``, each image chart after its PNGs arrived (now or,
#: for a run shown before, earlier: then the browser draws it from its cache); else null
PAINTED_AFTER_JS = page_script("p5_painted_after")


@contextmanager
def live_site(url: str, history: int, runs: int) -> Iterator[tuple[str, int, DataAccess, SimulatedSource]]:
    """``history`` runs stored, ``runs`` more readable from the source, the P4 dashboard, and the server."""
    with tempfile.TemporaryDirectory(prefix="alpaca-bench-") as folder:
        data_dir = Path(folder)
        database = Database(url)
        database.migrate()
        parquet = ParquetStore(data_dir / "parquet", fsync=False)
        source = SimulatedSource(
            seed=5, first_run=FIRST_RUN, history=history + runs, image_size=IMAGE_SIZE, waveform_samples=SAMPLES
        )
        ingest_range(database, parquet, source, FIRST_RUN, FIRST_RUN + history - 1)
        access = DataAccess(database, parquet, Settings(database_url=url, data_dir=data_dir))
        owner = create_user(access, USER, PASSWORD, Role.EDITOR)
        dashboard = store.create_dashboard(access, owner.id, "P5", p4_spec())
        try:
            with run_server(url, data_dir) as server:
                yield server.url, dashboard.id, access, source
        finally:
            database.dispose()


#: what a page shows, for the message when it does not paint in time
PAGE_STATE_JS = page_script("p5_page_state")


def wait_painted(page: Page, since: float) -> float:
    """The page-clock ms at which every panel had painted after ``since``; what the page shows when it did not."""
    try:
        handle = page.wait_for_function(PAINTED_AFTER_JS, arg=since, timeout=TIMEOUT_MS, polling=25)
    except PlaywrightTimeout:
        state = page.evaluate(PAGE_STATE_JS, since)
        raise RuntimeError(f"a page did not paint within {TIMEOUT_MS} ms: {state}") from None
    return float(handle.json_value())


#: in the browser: keep the time of the last click or Enter, as the page received it
CLICK_TIME_JS = page_script("p5_click_time")


def measure_switches(page: Page, directions: list[str]) -> list[float]:
    """Press previous / next ("left" / "right") in turn; ms from each click, as the page received it, to every
    panel painted. (Playwright takes some 40 ms here to deliver a click; a user's click has no such delay.)"""
    page.evaluate(CLICK_TIME_JS)
    found = []
    for direction in directions:
        button = page.locator(f".q-btn:has(i:text('chevron_{direction}'))")
        started = float(page.evaluate("performance.now()"))
        button.click()
        painted = wait_painted(page, started)
        found.append(painted - float(page.evaluate("window.__clicked")))
        page.wait_for_timeout(200)
    return found


def measure_jumps(page: Page, runs: list[int]) -> list[float]:
    """Type each run into the run field and press Enter; ms from the Enter, as the page received it, to painted."""
    page.evaluate(CLICK_TIME_JS)
    field = page.get_by_label("Run", exact=True)
    found = []
    for run in runs:
        field.fill(str(run))
        started = float(page.evaluate("performance.now()"))
        field.press("Enter")
        painted = wait_painted(page, started)
        found.append(painted - float(page.evaluate("window.__clicked")))
        page.wait_for_timeout(200)
    return found


def measure_live(page: Page, access: DataAccess, source: SimulatedSource, history: int, reps: int) -> list[float]:
    """Commit a new run while the page is in live mode; time from the commit to every panel painted."""
    origin = float(page.evaluate("performance.timeOrigin"))
    seconds = []
    for index in range(reps):
        run = FIRST_RUN + history + index
        ingest_run(access.db, access.store, source, run)
        committed = time.time() * 1000 - origin  # just after the commit, in the page's clock
        seconds.append(wait_painted(page, committed) - committed)
        page.wait_for_timeout(300)
    return seconds


def summarise_ms(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ms ({min(values):,.0f}-{max(values):,.0f})"


def run(options: Options) -> Section:
    reps = max(5, options.reps)
    # the newest run, the one before it, one more for each step back, and every other run below them for the jumps
    history = 3 * reps + 3
    load_before = os.getloadavg()[0]
    with (
        temporary_schema(options.targets[0].url, "p5") as url,
        live_site(url, history, reps) as (site, dashboard_id, access, src),
    ):
        with sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
            log_in(page, site)
            page.goto(f"{site}/dashboard/{dashboard_id}?run={FIRST_RUN + history - 1}")
            wait_painted(page, 0)
            measure_switches(page, ["left", "right"])  # both runs shown once: warm-up
            flips = measure_switches(page, ["left", "right"] * ((reps + 1) // 2))[:reps]
            steps = measure_switches(page, ["left"] * reps)
            jumps = measure_jumps(page, [FIRST_RUN + 2 * index for index in reversed(range(reps))])
            page.goto(f"{site}/dashboard/{dashboard_id}?live=1")
            wait_painted(page, 0)
            live = measure_live(page, access, src, history, reps)
            browser.close()
    load = describe_load(load_before, os.getloadavg()[0])
    table = format_table(
        ["measure", f"median of {reps} (range)", "target"],
        [
            ["run switch, back to the run shown before: click to painted", summarise_ms(flips), "< 150 ms"],
            ["run switch to a run not shown yet: click to painted", summarise_ms(steps), "< 150 ms"],
            ["run typed in the field (not shown, not read ahead): Enter to painted", summarise_ms(jumps), "< 150 ms"],
            ["live: commit to every panel painted", summarise_ms(live), "< 2,000 ms"],
        ],
    )
    body = f"""The P4 dashboard (12 panels; here waveforms of {SAMPLES:,} samples and {IMAGE_SIZE}x{IMAGE_SIZE} images)
in headless Chromium against the real server in its own process. Run switch: from the click on previous / next
as the page receives it (its event's time stamp; Playwright itself takes some 40 ms to deliver a click, which a
user's click does not) to the last chart's ECharts `finished` after its PNGs arrived, in the page's clock (it
includes the server's reads and drawing). Two cases: flipping between two runs, as when comparing them (each
panel keeps its last contents, and the browser the PNGs, so nothing is read or drawn again), and stepping back
through runs not shown before (about 100 ms after each switch the server prepares the next run in the direction of
travel and the browser fetches its PNGs, so a user stepping at a human pace finds it ready; the benchmark pauses
200 ms between steps). And, as the cold case, a run typed into the run field and Enter pressed: every other run,
so that nothing was shown or read ahead before (values read from the database and the sidecar, PNGs drawn).
Live: the page is opened with `&live=1`; the benchmark commits a run through
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
