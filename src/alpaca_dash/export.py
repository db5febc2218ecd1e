"""Parquet export of observables over a run range, streamed in row groups so memory stays bounded.

One row per run. Scalars are typed columns, 1D arrays list columns, 2D arrays list columns of the flattened values
with a ``<name>#shape`` column beside them; every field carries its kind, dtype and unit as metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from alpaca_dash.domain import Observable, ObservableKind
from alpaca_dash.queries import values
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.runs import list_run_numbers

Array = np.ndarray[Any, Any]

DEFAULT_BATCH_BYTES = 16 * 1024 * 1024
MAX_BATCH_RUNS = 1000
#: array bytes per Arrow chunk of a list column. The Parquet writer takes a chunk at a time and needs about 10-20 bytes
#: a value for it (levels, pages), so this, not the row group, bounds its memory; a larger array is a chunk of its own
CHUNK_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class ExportSummary:
    runs: int
    columns: int
    bytes_written: int


def export_schema(observables: list[Observable], dtypes: Mapping[int, str] | None = None) -> pa.Schema:
    """The file's schema; ``dtypes`` overrides an observable's registry dtype (when it changed over the range)."""
    fields = [pa.field("run", pa.int32(), nullable=False)]
    for item in observables:
        dtype = (dtypes or {}).get(item.id, item.dtype)
        meta = {b"kind": item.kind.value.encode(), b"dtype": dtype.encode(), b"unit": (item.unit or "").encode()}
        value_type = pa.from_numpy_dtype(np.dtype(dtype))
        if item.kind is ObservableKind.SCALAR:
            fields.append(pa.field(item.name, value_type, metadata=meta))
            continue
        fields.append(pa.field(item.name, pa.large_list(value_type), metadata=meta))
        if item.kind is ObservableKind.ARRAY2D:
            fields.append(
                pa.field(item.name + "#shape", pa.list_(pa.int64()), metadata={b"shape_of": item.name.encode()})
            )
    return pa.schema(fields)


def export_parquet(
    access: DataAccess,
    observables: list[Observable],
    first: int,
    last: int,
    out: Path | BinaryIO,
    *,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
    on_runs: Callable[[int], None] | None = None,
) -> ExportSummary:
    """Write the observables of every stored run between ``first`` and ``last`` to Parquet.

    :param batch_bytes: values per row group (at least one run); only one row group's arrays are held at a time.
    :param on_runs: called with the number of runs written after each row group, for progress bars.
    """
    schema = export_schema(observables, _common_dtypes(access, observables, first, last))
    run_numbers = list_run_numbers(access, first, last)
    # dictionary encoding for run and scalars only: on array columns it holds a chunk's pages back and rarely pays
    dictionary = ["run", *(item.name for item in observables if item.kind is ObservableKind.SCALAR)]
    with pq.ParquetWriter(out, schema, compression="zstd", use_dictionary=dictionary) as parquet:
        for batch in _read_batches(access, observables, run_numbers, batch_bytes):
            parquet.write_table(_build_table(access, schema, observables, batch), row_group_size=len(batch.runs))
            if on_runs is not None:
                on_runs(len(batch.runs))
    size = out.stat().st_size if isinstance(out, Path) else 0
    return ExportSummary(len(run_numbers), len(schema), size)


def _common_dtypes(access: DataAccess, observables: list[Observable], first: int, last: int) -> dict[int, str]:
    """One dtype per observable that holds every stored value in the range (numpy's promotion rules)."""
    common = {}
    for item in observables:
        seen = values.stored_dtypes(access, item, first, last)
        if seen:
            common[item.id] = np.result_type(*[np.dtype(d) for d in seen]).name
    return common


@dataclass
class _Batch:
    """The runs of one row group with their arrays: position in the observables to one value (or None) per run."""

    runs: list[int] = field(default_factory=list)
    arrays: dict[int, list[Array | None]] = field(default_factory=dict)
    nbytes: int = 0


def _read_batches(
    access: DataAccess, observables: list[Observable], run_numbers: list[int], batch_bytes: int
) -> Iterator[_Batch]:
    """The runs in row groups of at most ``batch_bytes`` of values (8 per scalar) and ``MAX_BATCH_RUNS`` runs.

    Sizes are the loaded arrays', not the registry's last shape, which may differ from the range's.
    """
    positions = [i for i, item in enumerate(observables) if item.kind is not ObservableKind.SCALAR]
    scalar_bytes = 8 * (len(observables) - len(positions))
    batch = _Batch()
    for run in run_numbers:
        found = {i: values.load_value(access, observables[i], run) for i in positions}
        nbytes = scalar_bytes + sum(a.nbytes for a in found.values() if a is not None)
        if batch.runs and (batch.nbytes + nbytes > batch_bytes or len(batch.runs) >= MAX_BATCH_RUNS):
            yield batch
            batch = _Batch()
        batch.runs.append(run)
        batch.nbytes += nbytes
        for i, array in found.items():
            batch.arrays.setdefault(i, []).append(array)
    if batch.runs:
        yield batch


def _build_table(access: DataAccess, schema: pa.Schema, observables: list[Observable], batch: _Batch) -> pa.Table:
    """One row group: the runs' values, array columns in chunks of about ``CHUNK_BYTES``."""
    run_numbers = batch.runs
    columns: list[pa.Array | pa.ChunkedArray] = [pa.array(run_numbers, type=pa.int32())]
    scalar_items = [item for item in observables if item.kind is ObservableKind.SCALAR]
    scalar_values = values.load_scalar_series(access, scalar_items, run_numbers[0], run_numbers[-1])
    for i, item in enumerate(observables):
        field_type = schema.field(item.name).type
        value_type = field_type if item.kind is ObservableKind.SCALAR else field_type.value_type
        if item.kind is ObservableKind.SCALAR:
            by_run = scalar_values.get(item.id, {})
            cells = [by_run.get(run) for run in run_numbers]
            columns.append(pa.array([None if c is None else c.item() for c in cells], type=value_type))
            continue
        arrays = batch.arrays[i]
        chunks = [_list_column(group, value_type) for group in _chunk_groups(arrays)]
        columns.append(pa.chunked_array(chunks, type=pa.large_list(value_type)))
        if item.kind is ObservableKind.ARRAY2D:
            shapes = [None if a is None else list(a.shape) for a in arrays]
            columns.append(pa.array(shapes, type=pa.list_(pa.int64())))
    return pa.Table.from_arrays(columns, schema=schema)


def _chunk_groups(arrays: list[Array | None]) -> list[list[Array | None]]:
    """Consecutive runs' arrays in groups of at most ``CHUNK_BYTES`` (at least one run each)."""
    groups: list[list[Array | None]] = [[]]
    size = 0
    for array in arrays:
        nbytes = 0 if array is None else array.nbytes
        if groups[-1] and size + nbytes > CHUNK_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(array)
        size += nbytes
    return groups


def _list_column(arrays: list[Array | None], value_type: pa.DataType) -> pa.Array:
    """A large_list column of flattened arrays; a run without the observable is null. One array is not copied."""
    lengths = np.array([0 if a is None else a.size for a in arrays], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    present = [a.ravel().astype(value_type.to_pandas_dtype(), copy=False) for a in arrays if a is not None]
    if len(present) == 1:
        flat = present[0]
    else:
        flat = np.concatenate(present) if present else np.array([], dtype=value_type.to_pandas_dtype())
    mask = pa.array([a is None for a in arrays])
    return pa.LargeListArray.from_arrays(pa.array(offsets, type=pa.int64()), pa.array(flat, type=value_type), mask=mask)
