"""P7: a soak in live mode. N browser clients watch a dashboard with ``live=1`` while runs arrive; measures the
commit-to-painted latency (p95), errors in the browsers and the server log (must be 0), and the server's RSS over
page open/close cycles (growth < 5 MB). ``python -m bench p7 [--write]``."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from alpaca_dash.config import Settings
from alpaca_dash.content.spec import DashboardSpec, PanelSpec
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_range, ingest_run
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import Role, create_user
from alpaca_dash.sources.simulated import SimulatedSource
from alpaca_dash.timescale.database import Database
from alpaca_dash.web.testserver import RunningServer, run_server

from bench.common import Options, Section, format_table, temporary_schema
from bench.p4_dashboard import PASSWORD, USER, describe_load, launch, log_in, main
from bench.p5_live import wait_painted

FIRST_RUN = 390000
HISTORY = 3
#: NiceGUI forgets a closed page's client after serve()'s reconnect_timeout (10 s); RSS is read after that
CLIENT_PRUNE_SECONDS = 13.0
#: the server's RSS climbs over the first ~40 page visits (allocator arenas, caches, imports) and then levels off
WARM_UP_CYCLES = 40
ELENA = "ELENA_Parameters"
#: the full soak (DESIGN §8 P7), each overridable by an environment variable for a shorter look
CLIENTS = int(os.environ.get("ALPACA_DASH_SOAK_CLIENTS", "20"))
DURATION_SECONDS = float(os.environ.get("ALPACA_DASH_SOAK_SECONDS", "600"))
RUN_EVERY_SECONDS = float(os.environ.get("ALPACA_DASH_SOAK_RUN_EVERY", "10"))
CYCLES = int(os.environ.get("ALPACA_DASH_SOAK_CYCLES", "200"))
LATENCY_TARGET_MS = 1000.0


@dataclass
class SoakResult:
    latencies_ms: list[float] = field(default_factory=list)
    browser_errors: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    rss_before_mb: float = 0.0
    rss_after_mb: float = 0.0
    #: (cycle, MB) every 10 cycles, read at once (closed clients not yet dropped): shows whether growth levels off
    rss_samples_mb: list[tuple[int, float]] = field(default_factory=list)
    cycles: int = 0
    #: (seconds since the first run, MB) after every run: the server's memory while the live clients watch
    rss_live_mb: list[tuple[float, float]] = field(default_factory=list)

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else float("nan")

    @property
    def errors(self) -> int:
        return len(self.browser_errors) + len(self.server_errors)

    @property
    def rss_growth_mb(self) -> float:
        return self.rss_after_mb - self.rss_before_mb


def soak_spec() -> DashboardSpec:
    names = ["H_offset_mm", "V_offset_mm", "Intensity_E7"]
    return DashboardSpec(
        panels=[PanelSpec(id=f"s{i}", type="stat", observables=[f"{ELENA}*{n}"]) for i, n in enumerate(names)]
    )


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@contextmanager
def soak_site(url: str, runs: int) -> Iterator[tuple[RunningServer, int, DataAccess, SimulatedSource]]:
    """``HISTORY`` runs stored, ``runs`` more readable from the source, a small dashboard, and the server."""
    with tempfile.TemporaryDirectory(prefix="alpaca-soak-") as folder:
        data_dir = Path(folder)
        database = Database(url)
        database.migrate()
        parquet = ParquetStore(data_dir / "parquet", fsync=False)
        source = SimulatedSource(
            seed=7, first_run=FIRST_RUN, history=HISTORY + runs, image_size=64, waveform_samples=500
        )
        ingest_range(database, parquet, source, FIRST_RUN, FIRST_RUN + HISTORY - 1)
        access = DataAccess(database, parquet, Settings(database_url=url, data_dir=data_dir))
        owner = create_user(access, USER, PASSWORD, Role.EDITOR)
        dashboard = store.create_dashboard(access, owner.id, "P7", soak_spec())
        try:
            with run_server(url, data_dir) as server:
                yield server, dashboard.id, access, source
        finally:
            database.dispose()


def _watch_errors(page: Page, result: SoakResult) -> None:
    page.on("pageerror", lambda exc: result.browser_errors.append(str(exc)))
    page.on("console", lambda msg: result.browser_errors.append(msg.text) if msg.type == "error" else None)


def soak(url: str, *, clients: int, runs: int, cycles: int, run_every: float = 0.0) -> SoakResult:
    """Run the soak against a database URL (an empty schema) and return what was measured.

    :param run_every: seconds from one committed run to the next (at least the time all pages take to paint it).
    """
    result = SoakResult(cycles=cycles)
    with soak_site(url, runs) as (server, dashboard_id, access, source), sync_playwright() as playwright:
        browser: Browser = launch(playwright)
        context = browser.new_context()
        log_in(context.new_page(), server.url)
        target = f"{server.url}/dashboard/{dashboard_id}"
        pages = []
        for _ in range(clients):
            page = context.new_page()
            _watch_errors(page, result)
            page.goto(target + "?live=1")
            wait_painted(page, 0)
            pages.append(page)
        # each page's clock starts at its own timeOrigin; read them before, so that no page paints while we ask
        origins = [float(page.evaluate("performance.timeOrigin")) for page in pages]
        started = time.monotonic()
        for index in range(runs):
            time.sleep(max(0.0, started + index * run_every - time.monotonic()))
            ingest_run(access.db, access.store, source, FIRST_RUN + HISTORY + index)
            committed = time.time() * 1000
            for page, origin in zip(pages, origins, strict=True):
                since = committed - origin
                result.latencies_ms.append(wait_painted(page, since) - since)
            result.rss_live_mb.append((round(time.monotonic() - started), round(rss_mb(server.process.pid), 1)))
        _cycle_pages(context, target, result, cycles, server.process.pid)
        browser.close()
        result.server_errors = [
            line for line in server.log.read_text().splitlines() if "Traceback" in line or " ERROR " in line
        ]
    return result


def _cycle_pages(context: object, target: str, result: SoakResult, cycles: int, pid: int) -> None:
    warm_up = min(WARM_UP_CYCLES, cycles // 2)
    for index in range(cycles):
        if index == warm_up:
            time.sleep(CLIENT_PRUNE_SECONDS)
            result.rss_before_mb = rss_mb(pid)
        if index % 10 == 0:
            result.rss_samples_mb.append((index, round(rss_mb(pid), 1)))
        page: Page = context.new_page()  # type: ignore[attr-defined]
        _watch_errors(page, result)
        page.goto(target)
        wait_painted(page, 0)
        page.close()
    time.sleep(CLIENT_PRUNE_SECONDS)
    result.rss_after_mb = rss_mb(pid)


def run(options: Options) -> Section:
    clients, cycles = CLIENTS, CYCLES
    runs = max(1, round(DURATION_SECONDS / RUN_EVERY_SECONDS))
    load_before = os.getloadavg()[0]
    with temporary_schema(options.targets[0].url, "p7") as url:
        result = soak(url, clients=clients, runs=runs, cycles=cycles, run_every=RUN_EVERY_SECONDS)
    load = describe_load(load_before, os.getloadavg()[0])
    median = statistics.median(result.latencies_ms)
    table = format_table(
        ["measure", "value", "target"],
        [
            [
                f"live update, {clients} clients x {runs} runs: p95 (median)",
                f"{result.p95_ms:,.0f} ms ({median:,.0f} ms)",
                f"< {LATENCY_TARGET_MS:,.0f} ms",
            ],
            ["errors (browser console + server log)", str(result.errors), "0"],
            [
                f"server RSS while live, over {DURATION_SECONDS / 60:.0f} min",
                f"{min(mb for _, mb in result.rss_live_mb):,.1f}-{max(mb for _, mb in result.rss_live_mb):,.1f} MB",
                "bounded",
            ],
            [
                f"server RSS over {cycles} page open/close cycles",
                f"{result.rss_before_mb:,.1f} -> {result.rss_after_mb:,.1f} MB ({result.rss_growth_mb:+.1f} MB)",
                "growth < 5 MB",
            ],
        ],
    )
    warm_up = min(WARM_UP_CYCLES, cycles // 2)
    live_rss = ", ".join(f"{seconds:.0f} s: {mb:.0f}" for seconds, mb in result.rss_live_mb[:: max(1, runs // 6)])
    body = f"""{clients} headless Chromium pages (one browser, loopback only) watch a 3-panel dashboard with
`live=1` for {DURATION_SECONDS / 60:.0f} minutes while the benchmark commits a run every {RUN_EVERY_SECONDS:.0f} s
({runs} runs) through `ingest_run`; latency is from each commit to that page's panels painted with the new run, in
the page's clock. Server RSS while live (MB): {live_rss}. Then {cycles} cycles open the dashboard, wait for it to paint
and close it; the server's RSS is read after a warm-up of {warm_up} cycles and at the end, each time after NiceGUI
has dropped closed clients ({CLIENT_PRUNE_SECONDS:.0f} s). {load}

{table}
"""
    return Section("P7", "soak: live clients, errors and memory", body)


def _main(argv: list[str] | None = None) -> int:
    return main(argv, benchmark="p7", runner=run)


if __name__ == "__main__":
    sys.exit(_main())
