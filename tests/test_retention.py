"""Retention: runs below a number go with their values, errors, rollup and sidecar files; the rest stay intact."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import text

from alpaca_dash.domain import RunRecord
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_run
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observables import get_observables
from alpaca_dash.queries.runs import update_run_meta
from alpaca_dash.queries.trends import load_trend
from alpaca_dash.queries.values import load_value, referenced_files
from alpaca_dash.timescale.database import Database
from alpaca_dash.timescale.retention import prune_runs

from memory_source import MemorySource

pytestmark = pytest.mark.both_backends
RUNS = [990, 1500, 1999, 2000, 2500, 3001]


def record(run: int) -> RunRecord:
    values = {"x": np.float64(run), "img": np.full((4, 4), run, dtype=np.uint16), "wave": np.arange(3.0) + run}
    return RunRecord(run=run, start=None, end=None, values=values)


def test_runs_below_the_cut_go_and_the_rest_stay(db: Database, store: ParquetStore) -> None:
    source = MemorySource({run: record(run) for run in RUNS})
    for run in RUNS:
        assert ingest_run(db, store, source, run).ok
    access = DataAccess(db, store, None)  # type: ignore[arg-type]
    update_run_meta(access, 1500, tags=["old"])
    kept_files = referenced_files(access)
    result = prune_runs(db, 2500)
    store.remove(result.files)
    assert result.runs == 4 and len(result.files) == 4
    x, img = get_observables(access, ["x", "img"])
    assert load_trend(access, x, 0, 9999).runs.tolist() == [2500, 3001]
    assert load_value(access, img, 2500) is not None and load_value(access, img, 2000) is None
    assert referenced_files(access) == kept_files - set(result.files)
    assert all(not (store.root / name).exists() for name in result.files)
    with db.begin() as conn:
        for table in ("scalars", "arrays1d", "array_stats", "arrays2d", "ingest_errors", "run_tags", "runs"):
            below = conn.execute(text(f"SELECT count(*) FROM {table} WHERE run < 2500")).scalar_one()
            assert below == 0, table
        if conn.execute(text("SELECT to_regclass('scalar_rollup')")).scalar() is not None:
            rollup = conn.execute(text("SELECT bucket, min, max, n FROM scalar_rollup ORDER BY bucket")).all()
            assert [tuple(r) for r in rollup] == [(2000, 2500.0, 2500.0, 1), (3000, 3001.0, 3001.0, 1)]
