"""The notebook API reads what ingest stored: runs, trends and errors as frames, arrays as stacks and xarray."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from sqlalchemy import text

from alpaca_dash.api import AlpacaDash, MoreObservables, connect, read_arrays
from alpaca_dash.domain import RunRecord, UnknownObservable
from alpaca_dash.frames import FrameLibraryMissing
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_range
from alpaca_dash.queries.columns import NotAnArray
from alpaca_dash.queries.observables import list_observables
from alpaca_dash.queries.runs import update_run_meta
from alpaca_dash.queries.trends import TrendError
from alpaca_dash.run_range import RunRangeError
from alpaca_dash.sources.simulated import CCD, SSPALS, SimulatedSource
from alpaca_dash.stacks import MixedShapes
from alpaca_dash.timescale.database import Database

from memory_source import MemorySource

ELENA = "ELENA_Parameters*H_offset_mm"
WAVE = f"{SSPALS}*V"
BIG = 2**60 + 1  # float64 would round it to 2**60
COUNT, FLAG, ENERGY, IMG = "Beam*count", "Beam*on", "Beam*energy", "Cam*img"
DELETE_VALUE = text(
    "DELETE FROM scalars s USING observables o WHERE s.run = :run AND o.id = s.observable_id AND o.name = :n"
)


@pytest.fixture
def dash(db: Database, simulated: SimulatedSource, fresh_schema_url: str, tmp_path: Path) -> Iterator[AlpacaDash]:
    ingest_range(db, ParquetStore(tmp_path / "parquet"), simulated, 390000, 390005)
    with connect(database_url=fresh_schema_url, parquet_dir=tmp_path / "parquet") as opened:
        yield opened


def start(run: int) -> datetime:
    return datetime(2026, 5, 1, 10, tzinfo=UTC).replace(minute=run)


@pytest.fixture
def exact(db: Database, fresh_schema_url: str, tmp_path: Path) -> Iterator[AlpacaDash]:
    """Runs 1-6: a uint64 counter beyond 2**53, a bool flag, a float32 missing from even runs, images that change
    shape at run 5; run 3 has no start time, run 4 is bad and tagged, run 6 has a value that cannot be stored."""
    records = {}
    for run in range(1, 7):
        values: dict[str, object] = {COUNT: np.uint64(BIG + run), FLAG: np.bool_(run % 2 == 0)}
        if run % 2:
            values[ENERGY] = np.float32(run / 4)
        values[IMG] = np.full((2, 3) if run < 5 else (4, 4), run, dtype=np.uint16)
        if run == 6:
            values["Beam*text"] = "not a number"
        records[run] = RunRecord(run, None if run == 3 else start(run), None, values)
    ingest_range(db, ParquetStore(tmp_path / "parquet"), MemorySource(records), 1, 6)
    with connect(database_url=fresh_schema_url, parquet_dir=tmp_path / "parquet") as opened:
        update_run_meta(opened._access, 4, tags=["calibration"], good=False)
        yield opened


def test_observables_are_searched_in_the_database_with_a_limit_and_paged(dash: AlpacaDash) -> None:
    elena = [o.name for o in list_observables(dash._access) if "elena" in o.name.lower()]  # the whole registry
    assert len(elena) > 2
    with pytest.warns(MoreObservables, match=f"{len(elena) - 2} more observables match 'elena'"):
        first = dash.observables("elena", limit=2)
    assert [o.name for o in first] == elena[:2] and first.more == len(elena) - 2
    rest = dash.observables("elena", after=first[-1].name)
    assert [o.name for o in rest] == elena[2:] and rest.more == 0
    assert [o.name for o in dash.observables("H_OFFSET elena")] == [ELENA]  # every word, in any order and case
    with pytest.raises(ValueError, match="limit must be at least 1"):
        dash.observables(limit=0)


def test_values_and_export_tables_for_a_notebook(dash: AlpacaDash, simulated: SimulatedSource) -> None:
    assert [o.name for o in dash.observables("h_offset")] == [ELENA]
    image = dash.value(CCD, 390003)
    assert image is not None and image.dtype == np.float32
    assert np.array_equal(image, simulated.read_run(390003).values[CCD])
    table = dash.table([ELENA, CCD], "390000-390005")
    assert table.num_rows == 6 and table.column("run").to_pylist()[0] == 390000
    assert read_arrays(table, CCD)[3] is not None
    with pytest.raises(UnknownObservable):
        dash.value("No*such", 390000)


def test_a_trend_is_indexed_by_run_with_start_times_and_native_dtypes(exact: AlpacaDash) -> None:
    frame = exact.trend([COUNT, FLAG, ENERGY, IMG], range(1, 7), statistic="sum")
    assert isinstance(frame, pd.DataFrame) and frame.index.name == "run"
    assert frame.index.tolist() == [1, 2, 3, 4, 5, 6]
    assert list(frame.columns) == ["start_time", "good", COUNT, FLAG, ENERGY, IMG]
    assert frame[COUNT].dtype == np.uint64 and frame[COUNT].tolist() == [BIG + run for run in range(1, 7)]
    assert frame[FLAG].dtype == np.bool_ and frame[FLAG].tolist() == [False, True, False, True, False, True]
    assert frame[ENERGY].dtype == np.float32
    assert frame[ENERGY].iloc[::2].tolist() == [0.25, 0.75, 1.25] and frame[ENERGY].iloc[1::2].isna().all()
    assert frame[IMG].tolist() == [6.0 * run for run in range(1, 5)] + [16.0 * run for run in (5, 6)]
    assert frame["good"].tolist() == [True, True, True, False, True, True]
    assert str(frame["start_time"].dtype) == "datetime64[us, UTC]"
    assert frame.loc[2, "start_time"] == pd.Timestamp(start(2)) and pd.isna(frame.loc[3, "start_time"])
    assert exact.trend(COUNT, 2).index.tolist() == [2]


def test_missing_integers_and_bools_stay_exact_in_pandas_and_polars(exact: AlpacaDash) -> None:
    with exact._access.db.begin() as conn:  # run 2 loses its counter and run 3 its flag: the columns have gaps
        for run, name in ((2, COUNT), (3, FLAG)):
            conn.execute(DELETE_VALUE, {"run": run, "n": name})
    frame = exact.trend([COUNT, FLAG], (1, 6))
    assert str(frame[COUNT].dtype) == "UInt64" and str(frame[FLAG].dtype) == "boolean"
    assert frame[COUNT].isna().tolist() == [False, True, False, False, False, False]
    assert frame[FLAG].isna().tolist() == [False, False, True, False, False, False]
    assert int(frame.loc[6, COUNT]) == BIG + 6
    polars = exact.trend([COUNT, FLAG], "1-6", frame="polars")
    assert isinstance(polars, pl.DataFrame)
    assert polars.schema[COUNT] == pl.UInt64 and polars.schema[FLAG] == pl.Boolean
    assert polars[COUNT].to_list() == [BIG + 1, None, BIG + 3, BIG + 4, BIG + 5, BIG + 6]
    assert polars["run"].to_list() == [1, 2, 3, 4, 5, 6]
    arrow = exact.trend(COUNT, [1, 6], frame="arrow")
    assert isinstance(arrow, pa.Table) and arrow.schema.field(COUNT).type == pa.uint64()


def test_runs_filtered_by_range_time_tag_and_flag(exact: AlpacaDash) -> None:
    every = exact.runs()
    assert every.index.tolist() == [1, 2, 3, 4, 5, 6] and every.index.name == "run"
    assert every.loc[4, "tags"].tolist() == ["calibration"] and not every.loc[4, "good"]
    assert every.loc[6, "error_count"] == 1 and every.loc[1, "status"] == "ingested"
    assert exact.runs((2, 4)).index.tolist() == [2, 3, 4]
    assert exact.runs(tag="calibration").index.tolist() == [4]
    assert exact.runs(good=False).index.tolist() == [4]
    assert exact.runs(good=True, limit=2).index.tolist() == [5, 6]
    assert exact.runs(since=start(2), until="2026-05-01T10:05:00+00:00").index.tolist() == [2, 4]  # 3 has no start
    assert exact.runs(since=datetime(2026, 5, 1, 10, 5)).index.tolist() == [5, 6]  # naive times are UTC
    assert exact.runs("7-9").empty
    assert exact.runs(frame="polars")["run"].to_list() == [1, 2, 3, 4, 5, 6]
    with pytest.raises(ValueError, match="limit must be at least 1"):
        exact.runs(limit=0)


def test_errors_of_a_run_range(exact: AlpacaDash) -> None:
    errors = exact.errors((5, 6))
    assert errors["run"].tolist() == [6] and errors["observable"].tolist() == ["Beam*text"]
    assert "str" in errors["message"].iloc[0]
    assert exact.errors(range(1, 6)).empty
    assert len(exact.errors()) == 1


def test_arrays_come_without_a_parquet_round_trip_and_stack_into_xarray(
    dash: AlpacaDash, simulated: SimulatedSource
) -> None:
    runs, images = dash.arrays(CCD, "390002-390004")
    assert runs.tolist() == [390002, 390003, 390004]
    for run, image in zip(runs.tolist(), images, strict=True):
        expected = simulated.read_run(run).values[CCD]
        assert image.dtype == expected.dtype and image.shape == expected.shape == (64, 64)
        assert image.tobytes() == expected.tobytes()
    cube = dash.arrays(CCD, range(390000, 390006)).to_xarray()
    assert cube.dims == ("run", "y", "x") and cube.shape == (6, 64, 64) and cube.dtype == np.float32
    assert cube["run"].values.tolist() == list(range(390000, 390006))
    assert cube.sel(run=390003).values.tobytes() == simulated.read_run(390003).values[CCD].tobytes()
    assert cube["start_time"].shape == (6,) and not np.isnat(cube["start_time"].values).any()
    waves = dash.arrays(WAVE, (390001, 390002))
    assert waves.to_xarray().dims == ("run", "sample")
    assert waves.stack().tobytes() == b"".join(simulated.read_run(r).values[WAVE].tobytes() for r in (390001, 390002))


def test_arrays_of_several_shapes_say_which_runs_differ(exact: AlpacaDash) -> None:
    stack = exact.arrays(IMG, "1-6")
    assert [a.shape for a in stack.arrays] == [(2, 3)] * 4 + [(4, 4)] * 2
    with pytest.raises(MixedShapes, match=r"2x3 in 4 runs from 1 to 4; 4x4 in 2 runs from 5 to 6"):
        stack.to_xarray()
    assert exact.arrays(IMG, "1-4").to_xarray().attrs["dtype"] == "uint16"
    with pytest.raises(NotAnArray, match="is a scalar"):
        exact.arrays(COUNT, "1-6")


@pytest.mark.parametrize(
    ("runs", "fragment"),
    [(3.5, "got float 3.5"), ("1-", "bad run range"), ((6, 1), "reversed"), (range(1, 9, 2), "step 2")],
)
def test_bad_run_ranges_are_clear_errors(exact: AlpacaDash, runs: object, fragment: str) -> None:
    with pytest.raises(RunRangeError, match=None) as caught:
        exact.trend(COUNT, runs)  # type: ignore[arg-type]
    assert fragment in str(caught.value)


def test_an_array_trend_needs_a_statistic_and_frames_have_names(exact: AlpacaDash) -> None:
    with pytest.raises(TrendError, match="choose one of"):
        exact.trend(IMG, "1-6")
    with pytest.raises(UnknownObservable, match=r"No\*such"):
        exact.trend(["No*such", COUNT], "1-6")
    with pytest.raises(ValueError, match="unknown frame kind"):
        exact.runs(frame="excel")  # type: ignore[arg-type]


def test_a_trend_of_runs_without_start_times_is_indexed_by_run(exact: AlpacaDash) -> None:
    """Run 3 has no start time: its row is there, by its run number, with NaT (polars: null) as its start time, and
    the column keeps its dtype when no run of the range has one."""
    alone = exact.trend([COUNT, ENERGY], 3)
    assert alone.index.tolist() == [3] and alone.loc[3, COUNT] == BIG + 3 and alone.loc[3, ENERGY] == 0.75
    assert str(alone["start_time"].dtype) == "datetime64[us, UTC]" and pd.isna(alone.loc[3, "start_time"])
    around = exact.trend(COUNT, (2, 4), frame="polars")
    assert around["run"].to_list() == [2, 3, 4]
    assert around["start_time"].to_list() == [start(2), None, start(4)]
    assert exact.trend(COUNT, 3, frame="arrow").column("start_time").null_count == 1


@pytest.mark.parametrize(("library", "frame"), [("pandas", "pandas"), ("polars", "polars"), ("xarray", None)])
def test_a_missing_frame_library_says_which_extra_to_install(
    exact: AlpacaDash, monkeypatch: pytest.MonkeyPatch, library: str, frame: str | None
) -> None:
    """Without the library (an install without the notebook extra, here: its import fails), the call says which
    library is missing and how to get it, as an ImportError; the other kinds keep working."""
    monkeypatch.setitem(sys.modules, library, None)  # what `import` meets when the package is not installed
    with pytest.raises(
        FrameLibraryMissing, match=rf"{library} is not installed: pip install 'alpaca-dash\[notebook\]'"
    ):
        if frame is None:
            exact.arrays(IMG, "1-4").to_xarray()
        else:
            exact.trend(COUNT, "1-6", frame=frame)  # type: ignore[arg-type]
    assert issubclass(FrameLibraryMissing, ImportError)
    assert exact.trend(COUNT, "1-6", frame="arrow").num_rows == 6
