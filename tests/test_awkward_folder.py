"""The issue's folder of awkward run files, ingested by the follower and read back exactly: kind and shape changes,
NaN payloads, uint64 extremes, a half-written file (waited for) and a truncated one (a clear error, not good)."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from nicegui.testing.user import User
from polling import wait_until

from alpaca_dash.api import AlpacaDash
from alpaca_dash.content.spec import DashboardSpec, GridPosition, PanelSpec
from alpaca_dash.export import export_parquet, read_arrays
from alpaca_dash.pipeline.follow import follow_once
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.errors import list_errors
from alpaca_dash.queries.observables import get_observables
from alpaca_dash.queries.runs import get_run
from alpaca_dash.sources.files import FileSource

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]

SHAPE, KIND, SNAN, U64, FLAG = "Shape*changes", "Kind*changes", "Nan*signalling", "Count*u64", "Flag*ok"
SIGNALLING = np.frombuffer(b"\x01\x00\x80\x7f", dtype=np.float32)[0]
RUNS: dict[int, dict[str, Any]] = {
    400001: {SHAPE: np.arange(6.0), KIND: np.float64(1.5), SNAN: SIGNALLING, U64: np.uint64(2**64 - 1), FLAG: True},
    400002: {SHAPE: np.arange(9.0), KIND: np.float64(2.5), SNAN: np.float32(0), U64: np.uint64(2**53 + 1)},
    400003: {SHAPE: np.arange(20.0).reshape(4, 5), KIND: np.arange(3, dtype=np.int16), U64: np.uint64(0)},
    400005: {SHAPE: np.arange(7.0), KIND: np.float64(5.5), U64: np.uint64(2**63), FLAG: False},
}
HALF_WRITTEN, TRUNCATED = 400005, 400004


def h5_bytes(values: dict[str, Any], path: Path) -> bytes:
    with h5py.File(path, "w") as h5:
        for name, value in values.items():
            h5.create_dataset(name.replace("*", "/"), data=value)
    return path.read_bytes()


def put(path: Path, data: bytes, *, settled: bool = True) -> None:
    path.write_bytes(data)
    if settled:
        old = time.time() - 60
        os.utime(path, (old, old))


def fill_folder(access: DataAccess, tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    scratch = tmp_path / "scratch.h5"
    files = {run: h5_bytes(values, scratch) for run, values in RUNS.items()}
    for run in (400001, 400002, 400003):
        put(folder / f"run_{run}.h5", files[run])
    put(folder / f"run_{TRUNCATED}.h5", h5_bytes(RUNS[400001], scratch)[:700])
    put(folder / f"run_{HALF_WRITTEN}.h5", files[HALF_WRITTEN][: len(files[HALF_WRITTEN]) // 2], settled=False)
    source = FileSource(folder, watch=False, settle_seconds=30.0)
    first = follow_once(access.db, access.store, source)
    assert [(r.run, r.ok) for r in first] == [(400001, True), (400002, True), (400003, True), (TRUNCATED, False)]
    put(folder / f"run_{HALF_WRITTEN}.h5", files[HALF_WRITTEN])  # the writer finished
    assert [(r.run, r.ok) for r in follow_once(access.db, access.store, source)] == [(HALF_WRITTEN, True)]


def same(got: Any, expected: Any) -> bool:
    want = np.asarray(expected)
    return got is not None and got.dtype == want.dtype and got.shape == want.shape and got.tobytes() == want.tobytes()


def test_the_folder_reads_back_exactly_through_the_api_and_the_export(access: DataAccess, tmp_path: Path) -> None:
    fill_folder(access, tmp_path)
    dash = AlpacaDash(access)
    for run, values in RUNS.items():
        for name, expected in values.items():
            assert same(dash.value(name, run), expected), (name, run)
    truncated = get_run(access, TRUNCATED)
    assert truncated is not None and truncated.status == "failed" and not truncated.good
    (error,) = list_errors(access, limit=10, first=TRUNCATED, last=TRUNCATED)
    assert "cannot open" in error.message and error.observable == ""
    assert [e.run for e in list_errors(access, limit=10)] == [TRUNCATED]  # nothing else was lost

    trend = dash.trend([U64, FLAG], (400001, 400005), frame="arrow")
    assert trend.schema.field(U64).type == pa.uint64() and trend.schema.field(FLAG).type == pa.bool_()
    assert trend.column(U64).to_pylist() == [2**64 - 1, 2**53 + 1, 0, 2**63]
    assert trend.column(FLAG).to_pylist() == [True, None, None, False]

    buffer = io.BytesIO()
    export_parquet(access, get_observables(access, [SHAPE, KIND, SNAN, U64]), 400001, 400005, buffer)
    table = pq.read_table(io.BytesIO(buffer.getvalue()))
    assert table.column("run").to_pylist() == [400001, 400002, 400003, 400005]  # a failed run has no row
    snan = table.column(SNAN).combine_chunks()
    assert snan.type == pa.float32() and snan.buffers()[1].to_pybytes()[:4] == SIGNALLING.tobytes()
    assert table.column(U64).to_pylist() == [2**64 - 1, 2**53 + 1, 0, 2**63]
    waves = read_arrays(table, SHAPE)
    images = read_arrays(table, SHAPE + "#array2d")
    assert same(waves[0], RUNS[400001][SHAPE]) and same(waves[3], RUNS[400005][SHAPE]) and waves[2] is None
    assert same(images[2], RUNS[400003][SHAPE]) and images[0] is None
    assert table.column(KIND).to_pylist() == [1.5, 2.5, None, 5.5]
    assert same(read_arrays(table, KIND + "#array1d")[2], RUNS[400003][KIND])


async def test_the_dashboard_draws_each_run_or_says_why(
    web_user: User, access: DataAccess, accounts: dict[str, int], log_in: LogIn, tmp_path: Path
) -> None:
    fill_folder(access, tmp_path)
    panels = [
        PanelSpec(id="wave", type="line", observables=[SHAPE]),
        PanelSpec(id="image", type="image", observables=[SHAPE], layout=GridPosition(x=6)),
    ]
    made = store.create_dashboard(access, accounts["alice"], "Awkward", DashboardSpec(panels=panels))
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}?run=400003")
    await wait_until(lambda: panel_states(web_user) == {"wave": "nodata", "image": "ready"}, "run 400003 drawn")
    await web_user.should_see("run 400003 holds a 4\N{MULTIPLICATION SIGN}5 array; this waveform panel draws 1D values")
    await web_user.open(f"/dashboard/{made.id}?run=400002")
    await wait_until(lambda: panel_states(web_user) == {"wave": "ready", "image": "nodata"}, "run 400002 drawn")
    await web_user.should_see("run 400002 holds a 1D array of 9 values; this image panel draws 2D arrays")


def panel_states(user: User) -> dict[str, str]:
    assert user.client is not None
    elements = user.client.elements.values()
    return {str(e.props["data-panel"]): str(e.props.get("data-state")) for e in elements if "data-panel" in e.props}
