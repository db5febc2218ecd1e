"""Screenshot of an overlay for the README's "Comparing runs": ``python -m bench.p9_screenshot [PATH]``
(docs/compare.png). A demo-like server: simulated runs, a dashboard comparing the newest run with the runs before it
and with a reference run, the run annotated as a person would."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alpaca_dash.config import Settings
from alpaca_dash.content.charts.histogram import HistogramOptions
from alpaca_dash.content.charts.line import LineOptions
from alpaca_dash.content.charts.stat import StatOptions
from alpaca_dash.content.overlay import Overlay
from alpaca_dash.content.spec import DashboardSpec, GridPosition, PanelSpec
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.runs import update_run_meta
from alpaca_dash.sources.simulated import ELENA, SSPALS
from alpaca_dash.timescale.database import Database

from bench.common import resolve_targets, temporary_schema
from bench.p4_dashboard import FIRST_RUN, bench_site
from bench.screenshots import painted_dashboard, save

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "docs" / "compare.png"
RUNS = 60
SHOWN = FIRST_RUN + RUNS - 1
REFERENCE = FIRST_RUN + 40


def compare_spec() -> DashboardSpec:
    wave = f"{SSPALS}*V"
    return DashboardSpec(
        panels=[
            PanelSpec(id="wave", type="line", title="SSPALS: this run and the 5 before", observables=[wave],
                      x=f"{SSPALS}*t", options=LineOptions(overlay=Overlay(mode="previous", count=5)),
                      layout=GridPosition(x=0, y=0, w=7, h=5)),
            PanelSpec(id="hist", type="histogram", title="SSPALS V against the reference (area; ratio under it)",
                      observables=[wave], options=HistogramOptions(normalise="area", bins=60, reference_plot="ratio"),
                      layout=GridPosition(x=7, y=0, w=5, h=5)),
            PanelSpec(id="h", type="stat", title="H offset", observables=[f"{ELENA}*H_offset_mm"],
                      options=StatOptions(decimals=3, warn_low=-0.3, warn_high=0.3),
                      layout=GridPosition(x=0, y=5, w=3, h=3)),
            PanelSpec(id="trend", type="trend", title="H offset across runs", observables=[f"{ELENA}*H_offset_mm"],
                      layout=GridPosition(x=3, y=5, w=9, h=3)),
        ],
        reference_run=REFERENCE,
    )  # fmt: skip


def take_screenshot(path: Path) -> None:
    spec = compare_spec()
    target = resolve_targets(None, timescale=False)[0]
    with (
        temporary_schema(target.url, "shot") as url,
        bench_site(url, spec, images=64, samples=20_000, title="Compare", runs=RUNS) as (site, dashboard_id),
    ):
        database = Database(url)
        try:
            # only run metadata is written: the store is never touched
            access = DataAccess(database, ParquetStore(Path(tempfile.gettempdir())), Settings(database_url=url))
            update_run_meta(access, SHOWN, comment="positron trap refilled", tags=["calibration", "e+ 2e7"])
            update_run_meta(access, REFERENCE, tags=["reference"])
        finally:
            database.dispose()
        query = f"run={SHOWN}&runs=last50"
        with painted_dashboard(
            site, dashboard_id, query, panels=len(spec.panels), images=0, width=1440, height=900
        ) as page:
            page.wait_for_timeout(1000)
            save(page, path)


if __name__ == "__main__":
    take_screenshot(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PATH)
