"""P11: the quality page over 1,000 runs x 200 checks, painted in headless Chromium.

A schema gets 1,000 runs, 200 checks and 200,000 results (one state per run and check, about 2 % alarms and 5 %
warnings, seeded by SQL), and the real server (``python -m alpaca_dash.web``) serves it. The timed visit opens
``/quality`` (a page shows the newest 50 runs: the grid of 50 x 200 cells and the summary table) and ends when the
page's clock sees the summary's rows and the heatmap's canvas drawn, after one more animation frame; the time is the
page's own ``performance.now()``, from the navigation's start.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright
from sqlalchemy import text

from alpaca_dash.config import Settings
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import Role, create_user
from alpaca_dash.web.testserver import run_server

from bench.common import Options, Section, Target, format_table, migrated_database, page_script
from bench.p4_dashboard import PASSWORD, USER, VIEWPORT, launch, log_in

RUNS = 1000
CHECKS = 200
FIRST_RUN = 700000
WARMUPS = 2
SEED_SQL = [
    f"INSERT INTO runs (run, status, source, good) SELECT r, 'ingested', 'bench', true "
    f"FROM generate_series({FIRST_RUN}, {FIRST_RUN + RUNS - 1}) r",
    "INSERT INTO quality_checks (name, observable, kind, definition) SELECT 'check ' || i, 'obs*' || i, 'scalar', "
    "jsonb_build_object('kind', 'scalar', 'name', 'check ' || i, 'observable', 'obs*' || i, "
    "'bounds', jsonb_build_object('warn_high', 1)) "
    f"FROM generate_series(1, {CHECKS}) i",
    "INSERT INTO quality_results (run, check_id, state, value, message) SELECT r.run, c.id, "
    "CASE WHEN h < 0.02 THEN 'alarm' WHEN h < 0.07 THEN 'warn' WHEN h < 0.08 THEN 'nodata' ELSE 'ok' END, h, "
    "'value ' || round(h::numeric, 3) FROM runs r CROSS JOIN quality_checks c "
    "CROSS JOIN LATERAL (SELECT abs(hashtext(r.run::text || '/' || c.id::text)) / 2147483648.0 AS h) x",
]
#: the floor: the jobs page (one empty table, no chart) painted the same way
BASELINE_JS = page_script("p11_baseline")
PAINTED_JS = page_script("p11_painted")


def measure_target(target: Target, reps: int) -> dict[str, list[float]]:
    painted: list[float] = []
    baseline: list[float] = []
    with migrated_database(target.url, "p11") as db, tempfile.TemporaryDirectory(prefix="bench-p11-") as folder:
        data_dir = Path(folder)
        with db.begin() as conn:
            for statement in SEED_SQL:
                conn.execute(text(statement))
            conn.execute(text("ANALYZE runs, quality_results, quality_checks"))
        access = DataAccess(db, ParquetStore(data_dir / "parquet"), Settings(database_url=db.url, data_dir=data_dir))
        create_user(access, USER, PASSWORD, Role.EDITOR)
        with run_server(db.url, data_dir) as server, sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
            log_in(page, server.url)
            for rep in range(WARMUPS + reps):
                page.goto(f"{server.url}/quality", wait_until="commit")
                handle = page.wait_for_function(PAINTED_JS, timeout=60_000, polling=10)
                if rep >= WARMUPS:
                    painted.append(float(handle.json_value()))
                page.goto(f"{server.url}/jobs", wait_until="commit")
                handle = page.wait_for_function(BASELINE_JS, timeout=60_000, polling=10)
                if rep >= WARMUPS:
                    baseline.append(float(handle.json_value()))
            browser.close()
    print(f"  {target.name}: painted {statistics.median(painted):.0f} ms", flush=True)
    return {"quality": painted, "jobs": baseline}


def run(options: Options) -> Section:
    reps = max(options.reps, 5)
    results = {target.name: measure_target(target, reps) for target in options.targets}
    rows = [
        [f"/quality, {RUNS:,} runs x {CHECKS} checks, newest 50 shown (target < 1 s)", "quality"],
        ["/jobs, an empty table (the page framework's floor here)", "jobs"],
    ]
    table = format_table(
        ["case", *(t.description for t in options.targets)],
        [[label, *(_cell(results[t.name][key]) for t in options.targets)] for label, key in rows],
    )
    print(table)
    return Section("P11", "the quality page over 1,000 runs x 200 checks, painted", f"{__doc__}\n\n{table}\n")


def _cell(ms: list[float]) -> str:
    return f"**{statistics.median(ms):.0f} ms** ({min(ms):.0f}-{max(ms):.0f})"
