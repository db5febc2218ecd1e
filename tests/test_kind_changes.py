"""An observable whose kind or shape changes between runs: every run's value comes back as written, through the
query layer, the Python API, the export and the panels; the registry knows every kind it had."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from sqlalchemy import text

from alpaca_dash.api import AlpacaDash
from alpaca_dash.config import Settings
from alpaca_dash.content.data import Target
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.domain import ObservableKind, RunRecord
from alpaca_dash.export import export_parquet, read_arrays
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_run
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observables import get_observables
from alpaca_dash.queries.panel_data import load_panel
from alpaca_dash.queries.values import load_value
from alpaca_dash.timescale import migrations
from alpaca_dash.timescale.capabilities import Capabilities
from alpaca_dash.timescale.database import Database

from memory_source import MemorySource

NAME = "Shape*changes"
VALUES: dict[int, Any] = {
    400001: np.arange(6, dtype=np.float64),
    400002: np.arange(9, dtype=np.float64) * 2,
    400003: np.arange(20, dtype=np.float64).reshape(4, 5),
    400004: np.float64(7.5),
}


@pytest.fixture
def access(db: Database, store: ParquetStore, tmp_path: Path) -> DataAccess:
    return DataAccess(db, store, Settings(data_dir=tmp_path))


def ingest(access: DataAccess, order: list[int]) -> None:
    source = MemorySource(
        {run: RunRecord(run, None, None, {NAME: VALUES[run], "Other*x": np.int8(run % 7)}) for run in VALUES}
    )
    for run in order:
        assert ingest_run(access.db, access.store, source, run).ok


@pytest.mark.parametrize("order", [[400001, 400002, 400003, 400004], [400004, 400003, 400001, 400002]])
def test_every_run_reads_back_in_its_own_kind(access: DataAccess, order: list[int]) -> None:
    ingest(access, order)
    (item,) = get_observables(access, [NAME])
    assert set(item.kinds) == {ObservableKind.ARRAY1D, ObservableKind.ARRAY2D, ObservableKind.SCALAR}
    assert item.kind is ObservableKind.SCALAR  # the newest run's
    for run, expected in VALUES.items():
        got = load_value(access, item, run)
        assert got is not None and got.shape == np.shape(expected) and got.tobytes() == np.asarray(expected).tobytes()
    assert load_value(access, item, 400005) is None
    assert "also" in item.kinds_text()


def test_api_value_arrays_and_export(access: DataAccess) -> None:
    ingest(access, [400003, 400001, 400002, 400004])
    dash = AlpacaDash(access)
    image, scalar = dash.value(NAME, 400003), dash.value(NAME, 400004)
    assert image is not None and image.shape == (4, 5)
    assert scalar is not None and scalar.item() == 7.5
    runs, arrays = dash.arrays(NAME, (400001, 400004))
    assert runs.tolist() == [400001, 400002, 400003]
    assert [a.shape for a in arrays] == [(6,), (9,), (4, 5)]
    buffer = io.BytesIO()
    export_parquet(access, get_observables(access, [NAME]), 400001, 400004, buffer)
    table = pq.read_table(io.BytesIO(buffer.getvalue()))
    assert table.column(NAME).to_pylist() == [None, None, None, 7.5]
    one_d = read_arrays(table, NAME + "#array1d")
    assert one_d[2] is None and one_d[3] is None
    assert one_d[0] is not None and one_d[0].tobytes() == VALUES[400001].tobytes()
    two_d = read_arrays(table, NAME + "#array2d")
    assert two_d[2] is not None and np.array_equal(two_d[2], VALUES[400003]) and two_d[0] is None
    assert table.schema.field(NAME + "#array2d").metadata[b"observable"] == NAME.encode()


def test_export_of_one_kind_is_named_by_the_observable(access: DataAccess) -> None:
    ingest(access, list(VALUES))
    buffer = io.BytesIO()
    export_parquet(access, get_observables(access, [NAME]), 400003, 400003, buffer)
    table = pq.read_table(io.BytesIO(buffer.getvalue()))
    assert table.column_names == ["run", NAME, NAME + "#shape"]
    (image,) = read_arrays(table, NAME)
    assert image is not None and np.array_equal(image, VALUES[400003])


def test_a_panel_says_which_kind_a_run_holds(access: DataAccess) -> None:
    ingest(access, list(VALUES))
    line = PanelSpec(id="w", type="line", observables=[NAME])
    image = PanelSpec(id="i", type="image", observables=[NAME])
    assert load_panel(access, line, Target(400001), (600, 300), lambda png: "x").state == "ready"
    content = load_panel(access, line, Target(400003), (600, 300), lambda png: "x")
    assert (content.state, content.message) == (
        "nodata",
        "run 400003 holds a 4\N{MULTIPLICATION SIGN}5 array; this waveform panel draws 1D values",
    )
    assert load_panel(access, image, Target(400003), (300, 300), lambda png: "/x.png").state == "ready"
    content = load_panel(access, image, Target(400004), (300, 300), lambda png: "x")
    assert content.message == "run 400004 holds a scalar; this image panel draws 2D arrays"


def test_the_migration_fills_the_kinds_from_the_stored_values(access: DataAccess) -> None:
    ingest(access, list(VALUES))
    with access.db.begin() as conn:
        conn.execute(text("UPDATE observables SET kinds = '{}'"))  # as a registry before migration 11 had it
        migrations._kinds_per_run(conn, Capabilities(160000, None, None))
    (item,) = get_observables(access, [NAME])
    assert set(item.kinds) == set(ObservableKind)
    (other,) = get_observables(access, ["Other*x"])
    assert other.kinds == (ObservableKind.SCALAR,)


def test_a_panel_reads_a_new_kind_of_a_run_just_ingested(access: DataAccess) -> None:
    """The panels' observable cache may hold the registry as it was before the run brought a new kind."""
    ingest(access, [400001, 400002])
    line = PanelSpec(id="w", type="line", observables=[NAME])
    assert load_panel(access, line, Target(400002), (600, 300), lambda png: "x").state == "ready"  # cached now
    ingest(access, [400003])
    content = load_panel(access, line, Target(400003), (600, 300), lambda png: "x")
    assert content.message.startswith("run 400003 holds a 4\N{MULTIPLICATION SIGN}5 array")
