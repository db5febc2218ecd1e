"""P3, painted: a trend panel over 100,000 runs in headless Chromium, from asking for the range to the chart drawn.

The real server (``python -m alpaca_dash.web``) serves a schema P3 has seeded; a dashboard holds one full-width trend
panel. The timed action is the one that asks for 100,000 runs: typing a custom range into the range picker and
pressing Enter. The page's own clock times it, from the Enter key's ``keydown`` to the chart's ECharts ``finished``
(``data-painted``, set by the panel card), and splits it where the series is unpacked in the page.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, sync_playwright

from alpaca_dash.content.charts.packed import series_data
from alpaca_dash.content.data import Target
from alpaca_dash.content.spec import DashboardSpec, GridPosition, PanelSpec
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.panel_data import load_panel
from alpaca_dash.queries.users import Role, create_user
from alpaca_dash.run_range import RunRange
from alpaca_dash.web.dashboard.panel_loader import RECENT_CONTENTS
from alpaca_dash.web.testserver import run_server

from bench.common import format_table, page_script
from bench.p4_dashboard import PASSWORD, USER, VIEWPORT, WireCounter, launch, log_in

PAINTED_TARGET_MS = 150.0
WARMUPS = 2
#: at least this many timed repetitions: each takes a fraction of a second, and a browser's times scatter
MIN_REPS = 20
TIMEOUT_MS = 30_000
PANEL = "trend"

#: in the page: the time of every Enter ``keydown`` and of every unpacking of a series (``alpaca.rows``); ``arm()``
#: makes ``painted`` a promise of [Enter pressed, first unpacking started, last one ended, chart finished] for the
#: next chart drawn after an Enter from unpacked data, resolved by the ``data-painted`` change (no polling)
INSTRUMENT_JS = page_script("p3_instrument")


@dataclass(frozen=True)
class Painted:
    """Milliseconds per repetition: Enter to painted, and its parts; the server's load in the bench process."""

    total: list[float]
    to_data: list[float]
    unpack: list[float]
    draw: list[float]
    server_load: list[float]
    first: int
    runs: int
    width: int
    points: int
    largest_ws: int


def trend_dashboard(observable: str) -> DashboardSpec:
    return DashboardSpec(
        panels=[PanelSpec(id=PANEL, type="trend", observables=[observable], layout=GridPosition(x=0, y=0, w=12, h=8))]
    )


def measure_painted(
    access: DataAccess, observable: str, runs: RunRange, reps: int, *, owner: int | None = None
) -> Painted:
    """Serve the seeded schema (range limit raised to ``len(runs)``); time ``reps`` (at least ``MIN_REPS``) range
    requests, warm.

    :param owner: the user (``USER``) whose dashboard it is; created when not given.
    """
    reps = max(MIN_REPS, reps)
    if owner is None:
        owner = create_user(access, USER, PASSWORD, Role.EDITOR).id
    dashboard = store.create_dashboard(access, owner, "P3", trend_dashboard(observable))
    # every text asks for the same stored runs (the newest is the last, none exist beyond them); there are more
    # texts than a panel keeps recent contents (RECENT_CONTENTS), so each Enter loads and draws the trend afresh
    texts = range_texts(runs)
    settings = {"ALPACA_DASH_MAX_RANGE": str(len(runs) + len(texts))}
    with tempfile.TemporaryDirectory(prefix="alpaca-bench-") as folder, sync_playwright() as playwright:
        with run_server(access.db.url, Path(folder), settings=settings) as server:
            browser = launch(playwright)
            page = browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
            counter = WireCounter()
            counter.attach(page.context.new_cdp_session(page))
            log_in(page, server.url)
            page.goto(f"{server.url}/dashboard/{dashboard.id}?run={runs.last}&runs={texts[0]}")
            page.wait_for_selector(".panel-chart[data-painted]", timeout=TIMEOUT_MS)
            page.evaluate(INSTRUMENT_JS)
            field = page.get_by_label("Runs", exact=True)
            for i in range(WARMUPS):
                ask_range(page, field, texts[i % len(texts)])
            counter.reset()
            marks = [ask_range(page, field, texts[(WARMUPS + i) % len(texts)]) for i in range(reps)]
            width = int(page.evaluate("document.querySelector('.panel-chart').clientWidth"))
            height = int(page.evaluate("document.querySelector('.panel-chart').clientHeight"))
            browser.close()
    spec = dashboard.spec.panels[0]
    server_load, option = time_server_load(access, spec, runs, (width, height), reps)
    return Painted(
        total=[m[3] - m[0] for m in marks],
        to_data=[m[1] - m[0] for m in marks],
        unpack=[m[2] - m[1] for m in marks],
        draw=[m[3] - m[2] for m in marks],
        server_load=server_load,
        first=runs.first,
        runs=len(runs),
        width=width,
        points=sum(len(series_data(s)) for s in option["series"]),
        largest_ws=counter.largest_ws,
    )


def range_texts(runs: RunRange) -> list[str]:
    """Range texts that all cover exactly the stored runs ``runs``, one more than a panel keeps recent contents."""
    count = RECENT_CONTENTS + 2
    return [f"last{len(runs) + extra}" for extra in range(count - 1)] + [str(runs)]


def ask_range(page: Page, field: Locator, text: str) -> list[float]:
    """Type ``text`` into the custom range field, press Enter, wait for the chart: the page-clock marks."""
    field.fill(text)
    page.evaluate(f"window.__p3.arm({TIMEOUT_MS})")
    field.press("Enter")
    marks = page.evaluate("window.__p3.painted")
    if marks is None:
        raise RuntimeError(f"the trend was not drawn within {TIMEOUT_MS} ms of asking for {text}")
    return [float(v) for v in marks]


def time_server_load(
    access: DataAccess, spec: PanelSpec, runs: RunRange, size: tuple[int, int], reps: int
) -> tuple[list[float], dict[str, Any]]:
    """What the server runs in a thread for the panel (``load_panel``), timed here: ms, and the option."""
    target = Target(runs.last, runs)
    for _ in range(WARMUPS):
        content = load_panel(access, spec, target, size, publish=str)
    found = []
    for _ in range(reps):
        started = time.perf_counter()
        content = load_panel(access, spec, target, size, publish=str)
        found.append((time.perf_counter() - started) * 1e3)
    if content.option is None:
        raise RuntimeError(f"the trend panel did not load: {content.state} {content.message}")
    return found, content.option


def build_painted_table(results: dict[str, Painted]) -> str:
    """One row per server: Enter to painted and its parts, ms median (range); what the page was sent."""
    headers = [
        "server",
        f"**(d) painted** (target < {PAINTED_TARGET_MS:.0f} ms)",
        "to the data in the page",
        "unpacking",
        "drawing",
        "load_panel alone",
        "points",
        "websocket message",
    ]
    rows = [
        [
            label,
            ms_cell(r.total, bold=True, target=PAINTED_TARGET_MS),
            ms_cell(r.to_data),
            ms_cell(r.unpack),
            ms_cell(r.draw),
            ms_cell(r.server_load),
            f"{r.points:,}",
            f"{r.largest_ws / 1024:.0f} kB",
        ]
        for label, r in results.items()
    ]
    return format_table(headers, rows)


def describe_painted(sample: Painted, load: str) -> str:
    size = f"{VIEWPORT['width']}x{VIEWPORT['height']}"
    ranges = f"`last{sample.runs}`, `last{sample.runs + 1}`, ... and `{sample.first}-{sample.first + sample.runs - 1}`"
    return f"""\
- (d), third table, is what a user waits for, in headless Chromium ({size}) against the real server
  (`python -m alpaca_dash.web` in its own process) serving the seeded schema. The server runs with
  `ALPACA_DASH_MAX_RANGE` just above {sample.runs:,}: its default limit of 20,000 runs would refuse the range.
  A dashboard holds one full-width trend panel of the observable ({sample.width} px, so {sample.points:,} points
  at two per pixel), open at the newest run. The timed action is the one that asks for all {sample.runs:,} runs:
  a custom range typed into the range picker and Enter pressed, in turn {ranges} (the same stored runs; more texts
  than a panel keeps recent contents, so every one is loaded and drawn afresh), {len(sample.total)} times after
  {WARMUPS} untimed ones. Opening the page does the same work plus loading the page (P4), and a run switch with a
  `lastN` range redraws the trend the same way. The time runs from the Enter `keydown` to the chart's ECharts
  `finished` (`data-painted`, set by the panel card), both in the page's clock. It is split where the page unpacks
  the series (`alpaca.rows`, wrapped by the benchmark): before that, the server's work (the event, `load_panel`
  in a thread, the message with the new option) and the transfer; then base64 to arrays; then `setOption` and the
  canvas drawing up to `finished`. "load_panel alone" is the server's part by itself (`load_trend`,
  downsampling, `build_trend_option`), timed in the benchmark's process at the panel's size with the browser closed.

{load}
"""


def ms_cell(values: list[float], *, bold: bool = False, target: float | None = None) -> str:
    """``**123** (110-140) met``: median (bold if asked), range, and the verdict against a target."""
    median = f"{statistics.median(values):.0f}"
    cell = f"{f'**{median}**' if bold else median} ({min(values):.0f}-{max(values):.0f})"
    if target is None:
        return cell
    return f"{cell} {'met' if statistics.median(values) < target else 'missed'}"
