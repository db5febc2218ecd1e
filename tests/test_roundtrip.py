"""Every supported dtype and rank comes back with the same dtype, shape and bytes; NaN and infinities included."""

from __future__ import annotations

import io
import itertools
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from alpaca_dash.domain import SUPPORTED_DTYPES, RunRecord
from alpaca_dash.export import export_parquet, read_arrays
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_run
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observables import get_observables
from alpaca_dash.queries.values import load_value
from alpaca_dash.timescale.database import Database

from memory_source import MemorySource

pytestmark = pytest.mark.both_backends


def arrays_of(dtype: str) -> st.SearchStrategy[np.ndarray[Any, Any]]:
    elements = None
    if dtype.startswith("float"):
        width = {2: 16, 4: 32, 8: 64}[np.dtype(dtype).itemsize]
        elements = st.floats(allow_nan=True, allow_infinity=True, width=width)  # type: ignore[arg-type]
    shapes = st.one_of(
        st.just(()),
        hnp.array_shapes(min_dims=1, max_dims=1, min_side=0, max_side=50),
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12),
    )
    return hnp.arrays(np.dtype(dtype), shapes, elements=elements)


@st.composite
def run_values(draw: st.DrawFn) -> dict[str, np.ndarray[Any, Any]]:
    """A run of 1 to 6 observables of any supported dtype and rank 0, 1 or 2."""
    dtypes = draw(st.lists(st.sampled_from(SUPPORTED_DTYPES), min_size=1, max_size=6))
    return {f"Rt*{dtype}*[unit] value {i}": draw(arrays_of(dtype)) for i, dtype in enumerate(dtypes)}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=run_values())
def test_values_round_trip_exactly(db: Database, store: ParquetStore, values: dict[str, Any]) -> None:
    run = next(RUNS)
    record = RunRecord(run, None, None, values)
    access = DataAccess(db, store, None)  # type: ignore[arg-type]
    result = ingest_run(db, store, MemorySource({run: record}), run)
    assert result.ok and result.errors == []
    items = get_observables(access, list(record.values))
    for item in items:
        expected = record.values[item.name]
        got = load_value(access, item, run)
        assert got is not None
        assert got.dtype == expected.dtype, item.name
        assert got.shape == expected.shape, item.name
        assert got.tobytes() == expected.tobytes(), item.name


RUNS = itertools.count(1)


def test_extreme_integers_and_special_floats(db: Database, store: ParquetStore) -> None:
    values = {
        "X*u64max": np.uint64(2**64 - 1),
        "X*i64min": np.int64(-(2**63)),
        "X*i64big": np.int64(2**53 + 1),
        "X*nan": np.float64("nan"),
        "X*negative_nan": -np.float64("nan"),
        "X*nan_payload_f32": np.frombuffer(b"\x01\x00\xc0\x7f", dtype=np.float32)[0],
        "X*neg_inf": np.float32("-inf"),
        "X*f16": np.float16(65504),
        "X*true": np.bool_(True),
        "X*python_int": 7,
        "X*python_float": 0.1,
    }
    access = DataAccess(db, store, None)  # type: ignore[arg-type]
    ingest_run(db, store, MemorySource({5: RunRecord(5, None, None, values)}), 5)
    for item in get_observables(access, list(values)):
        expected = np.asarray(values[item.name])
        got = load_value(access, item, 5)
        assert got is not None and got.dtype == expected.dtype and got.tobytes() == expected.tobytes(), item.name


@st.composite
def changing_runs(draw: st.DrawFn) -> list[np.ndarray[Any, Any]]:
    """One observable over 2 to 4 runs, each of any dtype, kind and shape."""
    dtypes = draw(st.lists(st.sampled_from(SUPPORTED_DTYPES), min_size=2, max_size=4))
    return [draw(arrays_of(dtype)) for dtype in dtypes]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(series=changing_runs(), reverse=st.booleans())
def test_kind_and_shape_changes_round_trip_and_export(
    db: Database, store: ParquetStore, tmp_path_factory: pytest.TempPathFactory, series: list[Any], reverse: bool
) -> None:
    """Each run's value as written, whichever order the runs were stored in, from the store and from the export
    (one field per kind: ``name`` for the first, ``name#<kind>`` for the others)."""
    first = next(RUNS) * 10
    name = f"Changes*{first}"
    records = {first + i: RunRecord(first + i, None, None, {name: value}) for i, value in enumerate(series)}
    access = DataAccess(db, store, None)  # type: ignore[arg-type]
    for run in sorted(records, reverse=reverse):
        assert ingest_run(db, store, MemorySource(records), run).ok
    (item,) = get_observables(access, [name])
    for run, record in records.items():
        got = load_value(access, item, run)
        expected = record.values[name]
        assert got is not None and (got.dtype, got.shape) == (expected.dtype, expected.shape)
        assert got.tobytes() == expected.tobytes()
    buffer = io.BytesIO()
    export_parquet(access, [item], first, first + len(series) - 1, buffer)
    table = pq.read_table(io.BytesIO(buffer.getvalue()))
    fields = {f.metadata[b"kind"].decode(): f.name for f in table.schema if f.metadata and b"kind" in f.metadata}
    for position, record in enumerate(records.values()):
        expected = record.values[name]
        kind = ("scalar", "array1d", "array2d")[expected.ndim]
        column = fields[kind]
        if kind == "scalar":
            cells = table.column(column).combine_chunks()
            filled = cells.fill_null(pa.scalar(0).cast(cells.type))  # the run's own cell is not null: bits kept
            got = filled.to_numpy(zero_copy_only=False)[position]
            exported_dtype = np.dtype(table.schema.field(column).metadata[b"dtype"].decode())
            if exported_dtype == expected.dtype:
                assert np.asarray(got, dtype=expected.dtype).tobytes() == expected.tobytes(), column
        else:
            got = read_arrays(table, column)[position]
            assert got is not None and got.shape == expected.shape
            if got.dtype == expected.dtype:
                assert got.tobytes() == expected.tobytes(), column


def test_nan_payloads_survive_the_export(db: Database, store: ParquetStore) -> None:
    """A signalling NaN (float32 0x7f800001), a negative NaN and a NaN with a float64 payload keep their bits."""
    signalling = np.frombuffer(b"\x01\x00\x80\x7f", dtype=np.float32)[0]
    payload64 = np.frombuffer(b"\x05\x00\x00\x00\x00\x00\xf8\x7f", dtype=np.float64)[0]
    values = {
        "N*snan": signalling,
        "N*negnan": -np.float64("nan"),
        "N*payload": payload64,
        "N*u64": np.uint64(2**64 - 1),
    }
    access = DataAccess(db, store, None)  # type: ignore[arg-type]
    assert ingest_run(db, store, MemorySource({9: RunRecord(9, None, None, values)}), 9).ok
    buffer = io.BytesIO()
    export_parquet(access, get_observables(access, list(values)), 9, 9, buffer)
    table = pq.read_table(io.BytesIO(buffer.getvalue()))
    for name, value in values.items():
        exported = table.column(name).to_numpy()
        assert exported.dtype == np.asarray(value).dtype and exported.tobytes() == np.asarray(value).tobytes(), name
