"""The notebook API reads what ingest stored: values, trends and tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alpaca_dash.api import connect, read_arrays
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_range
from alpaca_dash.queries.observables import UnknownObservable
from alpaca_dash.sources.simulated import CCD, SimulatedSource
from alpaca_dash.timescale.database import Database

ELENA = "ELENA_Parameters*H_offset_mm"


def test_values_trends_and_tables_for_a_notebook(
    db: Database, simulated: SimulatedSource, fresh_schema_url: str, tmp_path: Path
) -> None:
    store = ParquetStore(tmp_path / "parquet")
    ingest_range(db, store, simulated, 390000, 390005)
    with connect(database_url=fresh_schema_url, parquet_dir=tmp_path / "parquet") as dash:
        assert [o.name for o in dash.observables("h_offset")] == [ELENA]
        assert [r.run for r in dash.runs(limit=2)] == [390005, 390004]
        image = dash.value(CCD, 390003)
        assert image is not None and image.dtype == np.float32
        assert np.array_equal(image, simulated.read_run(390003).values[CCD])
        runs, values = dash.trend(ELENA, "390001-390004")
        assert runs.tolist() == [390001, 390002, 390003, 390004]
        expected = [float(simulated.read_run(r).values[ELENA]) for r in range(390001, 390005)]
        assert np.allclose(values, expected, equal_nan=True)
        table = dash.table([ELENA, CCD], "390000-390005")
        assert table.num_rows == 6 and table.column("run").to_pylist()[0] == 390000
        assert read_arrays(table, CCD)[3] is not None
        runs, images = dash.arrays(CCD, "390002-390004")
        assert runs.tolist() == [390002, 390003, 390004]
        for run, image in zip(runs.tolist(), images, strict=True):
            expected = simulated.read_run(run).values[CCD]
            assert image is not None and image.dtype == expected.dtype and image.shape == expected.shape == (64, 64)
            assert image.tobytes() == expected.tobytes()
        with pytest.raises(UnknownObservable):
            dash.value("No*such", 390000)
