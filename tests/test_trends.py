"""Trends across runs and correlations, on both backends."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import text

from alpaca_dash.domain import RunRecord, correlate
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_range
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observables import get_observables
from alpaca_dash.queries.trends import TrendError, load_run_times, load_trend
from alpaca_dash.timescale.database import Database

from memory_source import MemorySource

pytestmark = pytest.mark.both_backends


@pytest.fixture
def access(db: Database, store: ParquetStore) -> DataAccess:
    records = {}
    for run in range(100, 110):
        values = {"Beam*energy": np.float32(run / 10), "Cam*img": np.full((2, 3), run, dtype=np.uint16)}
        if run % 2 == 0:
            values["Beam*offset"] = np.float64(-run)
        records[run] = RunRecord(run, None, None, values)
    ingest_range(db, store, MemorySource(records), 100, 109)
    with db.begin() as conn:
        conn.execute(text("UPDATE runs SET good = false WHERE run = 104"))
        conn.execute(text("UPDATE runs SET start_time = to_timestamp(1700000000 + run) WHERE run <> 101"))
    return DataAccess(db, store, None)  # type: ignore[arg-type]


def test_a_scalar_trend_has_one_value_per_run_and_marks_bad_runs(access: DataAccess) -> None:
    (energy,) = get_observables(access, ["Beam*energy"])
    trend = load_trend(access, energy, 102, 107)
    assert trend.runs.tolist() == [102, 103, 104, 105, 106, 107]
    assert np.allclose(trend.values, np.float32(np.arange(102, 108) / 10))
    assert trend.good.tolist() == [True, True, False, True, True, True]


def test_an_array_statistic_trends_and_a_scalar_has_no_statistic(access: DataAccess) -> None:
    energy, image = get_observables(access, ["Beam*energy", "Cam*img"])
    trend = load_trend(access, image, 100, 109, statistic="sum")
    assert trend.values.tolist() == [6.0 * run for run in range(100, 110)]
    with pytest.raises(TrendError):
        load_trend(access, energy, 100, 109, statistic="sum")
    with pytest.raises(TrendError):
        load_trend(access, image, 100, 109)


def test_correlation_pairs_only_common_runs(access: DataAccess) -> None:
    energy, offset = get_observables(access, ["Beam*energy", "Beam*offset"])
    pair = correlate(load_trend(access, energy, 100, 109), load_trend(access, offset, 100, 109))
    assert pair.runs.tolist() == [100, 102, 104, 106, 108]
    assert pair.y_values.tolist() == [-100.0, -102.0, -104.0, -106.0, -108.0]
    assert pair.good.tolist() == [True, True, False, True, True]


def test_run_times_for_a_time_axis(access: DataAccess) -> None:
    times = load_run_times(access, np.array([100, 101, 102, 150], dtype=np.int32))
    assert times[0] == np.datetime64(1700000100, "s")
    assert np.isnat(times[1]) and np.isnat(times[3])
    assert times[2] == np.datetime64(1700000102, "s")


def test_sql_views_answer_by_observable_name(access: DataAccess) -> None:
    with access.db.begin() as conn:
        rows = conn.execute(
            text("SELECT run, value, good FROM scalar_values WHERE observable = 'Beam*offset' ORDER BY run")
        ).all()
        sums = conn.execute(
            text("SELECT run, sum FROM array_statistics WHERE observable = 'Cam*img' AND run = 105")
        ).all()
        tree = conn.execute(text("SELECT hierarchy, kind FROM observable_tree WHERE name = 'Cam*img'")).one()
    assert [(r.run, r.value, r.good) for r in rows][:3] == [
        (100, -100.0, True),
        (102, -102.0, True),
        (104, -104.0, False),
    ]
    assert sums == [(105, 630.0)]
    assert tuple(tree) == ("Cam / img", "array2d")
