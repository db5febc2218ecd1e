"""Trends at the panel's level of detail: rollup buckets over wide ranges, every value when zoomed in."""

from __future__ import annotations

import numpy as np
import pytest

from alpaca_dash.domain import RunRecord
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_run
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observables import get_observables
from alpaca_dash.queries.trend_detail import load_trend_for_width
from alpaca_dash.queries.trends import load_trend
from alpaca_dash.timescale.database import Database

from memory_source import MemorySource

pytestmark = pytest.mark.both_backends

VALUES = {1000: 1.0, 1500: 5.0, 2000: 3.0, 2999: -2.0, 3000: float("nan"), 4100: 7.0}


@pytest.fixture
def access(db: Database, store: ParquetStore) -> DataAccess:
    if db.capabilities.timescale_community:
        pytest.skip("the licensed continuous aggregate is refreshed by its policy, not in the ingest transaction")
    records = {run: RunRecord(run=run, start=None, end=None, values={"x": np.float64(v)}) for run, v in VALUES.items()}
    source = MemorySource(records)
    for run in sorted(records):
        assert ingest_run(db, store, source, run).ok
    return DataAccess(db, store, None)  # type: ignore[arg-type]


def test_a_wide_range_is_drawn_from_buckets_with_the_ends_as_values(access: DataAccess) -> None:
    (x,) = get_observables(access, ["x"])
    trend = load_trend_for_width(access, x, 1200, 4999, width=2)
    assert trend.bucket_runs == 1000
    assert trend.runs.tolist() == [1500, 2000, 2500, 4000, 4500]
    assert trend.values.tolist() == [5.0, -2.0, 3.0, 7.0, 7.0]


def test_a_range_the_buckets_cannot_fill_reads_every_value(access: DataAccess) -> None:
    (x,) = get_observables(access, ["x"])
    trend = load_trend_for_width(access, x, 1000, 4999, width=800)
    full = load_trend(access, x, 1000, 4999)
    assert trend.bucket_runs == 1
    assert trend.runs.tolist() == full.runs.tolist() == sorted(VALUES)
    assert np.array_equal(trend.values, full.values, equal_nan=True)


def test_a_run_stored_again_changes_its_bucket(db: Database, store: ParquetStore, access: DataAccess) -> None:
    source = MemorySource({2000: RunRecord(run=2000, start=None, end=None, values={"x": np.float64(-9.0)})})
    assert ingest_run(db, store, source, 2000).ok
    (x,) = get_observables(access, ["x"])
    trend = load_trend_for_width(access, x, 2000, 2999, width=1)
    assert trend.values.tolist() == [-9.0, -2.0]
