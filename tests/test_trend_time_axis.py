"""A trend against the runs' start times, from stored runs of which some have no start time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from alpaca_dash.config import Settings
from alpaca_dash.content.charts.packed import series_data
from alpaca_dash.content.data import Target
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.domain import RunRecord
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_range
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.panel_data import load_panel
from alpaca_dash.run_range import RunRange
from alpaca_dash.timescale.database import Database

from memory_source import MemorySource

NAME = "Beam*energy"
UNTIMED = {2, 4}


def start(run: int) -> datetime:
    return datetime(2026, 5, 1, 10, run, tzinfo=UTC)


def test_runs_without_a_start_time_are_counted_on_the_panel(db: Database, store: ParquetStore, tmp_path: Path) -> None:
    records = {
        run: RunRecord(run, None if run in UNTIMED else start(run), None, {NAME: np.float64(run * 1.5)})
        for run in range(1, 7)
    }
    ingest_range(db, store, MemorySource(records), 1, 6)
    access = DataAccess(db, store, Settings(data_dir=tmp_path))
    spec = PanelSpec(id="t", type="trend", observables=[NAME], options={"trend_x": "time"})
    content = load_panel(access, spec, Target(6, runs=RunRange(1, 6)), (600, 300), lambda png: "x")
    assert content.state == "ready", content.message
    assert content.option is not None
    placed = [row for row in series_data(content.option["series"][0]) if row[0] is not None]
    expected = [[start(run).timestamp() * 1000, run * 1.5, run] for run in range(1, 7) if run not in UNTIMED]
    assert placed == expected
    note = content.option["graphic"]["elements"][0]["style"]["text"]
    assert note.startswith("2 runs without a start time not shown"), note
    by_run = load_panel(
        access,
        PanelSpec(id="r", type="trend", observables=[NAME]),
        Target(6, runs=RunRange(1, 6)),
        (600, 300),
        lambda png: "x",
    )
    assert by_run.option is not None and "graphic" not in by_run.option
    assert [row[2] for row in series_data(by_run.option["series"][0])] == [1, 2, 3, 4, 5, 6]
