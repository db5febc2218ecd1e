"""Parquet export of observables over a run range, streamed in row groups so memory stays bounded.

One row per run, its number in ``run``. A scalar is a typed column, a 1D array a ``large_list`` column of its values,
and a 2D array a ``large_binary`` column of the image's raw bytes (little-endian, C order) with its shape in a
``<name>#shape`` column beside it. Images of more than ``PART_BYTES`` continue in ``<name>#part1``, ``<name>#part2``,
... columns: an image's bytes are those of its columns joined in order. Every field carries its kind, dtype and unit as
metadata; a run without the value is null. ``read_arrays`` turns an array column back into numpy arrays.

Images are bytes, not lists, because pyarrow's Parquet writer needs about 20 bytes per value of the largest list
value it writes (levels and pages): over 500 MB for one 5120² camera image. A binary value costs it its size plus
twice its compressed size, all at once: a Parquet page cannot split a value, nor a row, so the only way to bound that
is smaller values in more columns, which the writer writes one after the other (docs/performance.md, P8).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from alpaca_dash.domain import Observable, ObservableKind
from alpaca_dash.queries import values
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.runs import run_number_array
from alpaca_dash.types import Array

#: run numbers, ascending
RunNumbers = np.ndarray[Any, np.dtype[np.int32]]
DEFAULT_BATCH_BYTES = 16 * 1024 * 1024
MAX_BATCH_RUNS = 1000
#: runs per row group of an export of scalars only: few queries over a million runs, a few MB per column
SCALAR_BATCH_RUNS = 262_144
#: array bytes per Arrow chunk of an array column. The Parquet writer takes a chunk at a time and needs about 20 bytes
#: a value for a list chunk and twice the bytes for a binary one, so this bounds its memory; a larger array is a chunk
#: of its own
CHUNK_BYTES = 4 * 1024 * 1024
#: image bytes per column: a larger image continues in part columns, so the writer holds this much of it at a time
#: (with its compressed copies) beside the image itself, instead of three times the image
PART_BYTES = 8 * 1024 * 1024
SHAPE_SUFFIX = "#shape"
#: between an observable's name and a kind it had besides the first, in the name of that kind's field
KIND_SEPARATOR = "#"
PART_SUFFIX = "#part"
#: how a 2D field's bytes are laid out, in its metadata beside kind, dtype and unit
IMAGE_ENCODING = b"raw bytes, little-endian, C order, continued in the #part columns if any; shape in the #shape column"
#: version 2 data pages: the writer compresses the values alone instead of a copy of levels and values, which saves a
#: copy of every image it writes (about 50 MB of peak memory for a 5120² uint16 image)
WRITE_OPTIONS: dict[str, Any] = {"compression": "zstd", "data_page_version": "2.0"}


@dataclass(frozen=True)
class ExportSummary:
    runs: int
    columns: int
    bytes_written: int


def export_schema(
    observables: list[Observable], dtypes: Mapping[str, str] | None = None, parts: Mapping[str, int] | None = None
) -> pa.Schema:
    """The file's schema.

    :param dtypes: overrides an observable's registry dtype (when it changed over the range), by field name.
    :param parts: how many columns a 2D observable's bytes take (1 when not given), by field name.
    """
    fields = [pa.field("run", pa.int32(), nullable=False)]
    for item in observables:
        dtype = (dtypes or {}).get(item.name, item.dtype)
        meta = {b"kind": item.kind.value.encode(), b"dtype": dtype.encode(), b"unit": (item.unit or "").encode()}
        if item.path and item.name != "*".join(item.path):  # one kind of an observable whose kind changed
            meta[b"observable"] = "*".join(item.path).encode()
        value_type = pa.from_numpy_dtype(np.dtype(dtype))
        if item.kind is ObservableKind.SCALAR:
            fields.append(pa.field(item.name, value_type, metadata=meta))
        elif item.kind is ObservableKind.ARRAY1D:
            fields.append(pa.field(item.name, pa.large_list(value_type), metadata=meta))
        else:
            count = (parts or {}).get(item.name, 1)
            image_meta = {**meta, b"encoding": IMAGE_ENCODING, b"parts": str(count).encode()}
            fields.append(pa.field(item.name, pa.large_binary(), metadata=image_meta))
            for part in range(1, count):
                part_meta = {b"part_of": item.name.encode(), b"part": str(part).encode()}
                fields.append(pa.field(f"{item.name}{PART_SUFFIX}{part}", pa.large_binary(), metadata=part_meta))
            shape_meta = {b"shape_of": item.name.encode()}
            fields.append(pa.field(item.name + SHAPE_SUFFIX, pa.list_(pa.int64()), metadata=shape_meta))
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
    on_total: Callable[[int], None] | None = None,
) -> ExportSummary:
    """Write the observables of every stored run between ``first`` and ``last`` to Parquet.

    :param batch_bytes: values per row group (at least one run); only one row group's arrays are held at a time.
    :param on_runs: called with the number of runs written after each row group, for progress bars.
    :param on_total: called once with the number of runs the file will hold, before any is written.
    """
    observables = export_items(access, observables, first, last)
    dtypes = _common_dtypes(access, observables, first, last)
    schema = export_schema(observables, dtypes, _image_parts(access, observables, dtypes, first, last))
    run_numbers = run_number_array(access, first, last)
    if on_total is not None:
        on_total(len(run_numbers))
    with pq.ParquetWriter(out, schema, **_write_options(schema, observables)) as parquet:
        for table in _tables(access, schema, observables, run_numbers, batch_bytes):
            parquet.write_table(table, row_group_size=table.num_rows)
            # Arrow's allocator keeps what the writer freed; the next row group's reads would come on top of it
            pa.default_memory_pool().release_unused()
            if on_runs is not None:
                on_runs(table.num_rows)
    size = out.stat().st_size if isinstance(out, Path) else 0
    return ExportSummary(len(run_numbers), len(schema), size)


def _write_options(schema: pa.Schema, observables: list[Observable]) -> dict[str, Any]:
    """The writer's options: run numbers delta-encoded (a few kB for a million runs), dictionaries for integer and
    boolean scalars only, no statistics for images.

    A dictionary pays for integers and flags (few values); for floats, which rarely repeat, it fills up, falls back
    to plain and makes the file bigger, and for the run column it cost 0.4 s of a million-run export (bench P13). On
    array columns it holds a chunk's pages back; statistics of images would keep copies of the smallest and largest
    image's bytes.
    """
    scalars = [item.name for item in observables if item.kind is ObservableKind.SCALAR]
    dictionary = [name for name in scalars if not pa.types.is_floating(schema.field(name).type)]
    statistics = [f.name for f in schema if f.type != pa.large_binary()]
    return {
        **WRITE_OPTIONS,
        "use_dictionary": dictionary,
        "column_encoding": {"run": "DELTA_BINARY_PACKED"},
        "write_statistics": statistics,
    }


def _tables(
    access: DataAccess, schema: pa.Schema, observables: list[Observable], run_numbers: RunNumbers, batch_bytes: int
) -> Iterator[pa.Table]:
    """The row groups' tables. Of scalars only, the next is read in a thread while the one before is written (two at
    most, of ``batch_bytes`` each); with arrays one at a time, so that only one row group's arrays are ever held."""
    batches = _plan_batches(access, observables, run_numbers, batch_bytes)
    if any(item.kind is not ObservableKind.SCALAR for item in observables):
        for runs in batches:
            yield _build_table(access, schema, observables, runs)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-read") as pool:
        pending: Future[pa.Table] | None = None
        for runs in batches:
            following = pool.submit(_build_table, access, schema, observables, runs)
            if pending is not None:
                yield pending.result()
            pending = following
        if pending is not None:
            yield pending.result()


def estimate_export_bytes(access: DataAccess, observables: list[Observable], first: int, last: int) -> int:
    """About how many bytes the values of an export take, from the sizes stored (no value is read): arrays as
    stored, scalars eight bytes a run."""
    runs = len(run_number_array(access, first, last))
    total = 0
    for item in observables:
        if item.kind is ObservableKind.SCALAR:
            total += 8 * runs
        else:
            total += sum(values.stored_sizes(access, item, first, last).values())
    return total


class ExportCancelled(Exception):
    """The user stopped an export; its file is removed."""


def read_arrays(table: pa.Table, name: str) -> list[Array | None]:
    """A 1D or 2D column of an export as one numpy array per row, with its dtype and shape; None where it is null.

    2D arrays are read-only views of the table's memory (``.copy()`` one to change it), except those spread over
    part columns, which are joined into a new array.

    :raises ValueError: when ``name`` is not an array column of an export.
    :raises KeyError: when the table has no column ``name``, or lacks its ``#shape`` or ``#part`` columns.
    """
    meta = table.schema.field(name).metadata or {}
    kind = meta.get(b"kind", b"").decode()
    dtype = np.dtype(meta.get(b"dtype", b"float64").decode()).newbyteorder("<")
    column = table.column(name)
    if kind == ObservableKind.ARRAY1D.value:
        return [
            c.values.to_numpy(zero_copy_only=False).astype(dtype, copy=False) if c.is_valid else None for c in column
        ]
    if kind == ObservableKind.ARRAY2D.value:
        shapes = table.column(name + SHAPE_SUFFIX).to_pylist()
        parts = [column, *(table.column(f"{name}{PART_SUFFIX}{p}") for p in range(1, int(meta.get(b"parts", b"1"))))]
        return [
            None if shape is None else _join_bytes(cells).view(dtype).reshape(shape)
            for shape, *cells in zip(shapes, *parts, strict=True)
        ]
    raise ValueError(f"{name!r} is not a 1D or 2D array column of an export (kind {kind!r})")


def export_items(access: DataAccess, observables: list[Observable], first: int, last: int) -> list[Observable]:
    """The fields to write: an observable whose kind changed between runs of the range gives one field per kind,
    each holding the runs of that kind; the first (the registry's kind when the range has it) is named by the
    observable, the others ``<name>#scalar``, ``<name>#array1d`` or ``<name>#array2d``."""
    items = []
    for item in observables:
        kinds = values.stored_kinds(access, item, first, last) if item.kind_changes() else [item.kind]
        for position, kind in enumerate(kinds or [item.kind]):
            single = values.as_kind(item, kind)
            items.append(single if position == 0 else replace(single, name=f"{item.name}{KIND_SEPARATOR}{kind.value}"))
    return items


def _common_dtypes(access: DataAccess, observables: list[Observable], first: int, last: int) -> dict[str, str]:
    """One dtype per observable that holds every stored value in the range (numpy's promotion rules)."""
    common = {}
    for item in observables:
        seen = values.stored_dtypes(access, item, first, last)
        if seen:
            common[item.name] = np.result_type(*[np.dtype(d) for d in seen]).name
    return common


def _image_parts(
    access: DataAccess, observables: list[Observable], dtypes: Mapping[str, str], first: int, last: int
) -> dict[str, int]:
    """How many columns of at most ``PART_BYTES`` each 2D observable's largest array takes in its export dtype."""
    parts = {}
    for item in observables:
        if item.kind is ObservableKind.ARRAY2D:
            nbytes = (
                values.largest_array_elements(access, item, first, last)
                * np.dtype(dtypes.get(item.name, item.dtype)).itemsize
            )
            parts[item.name] = max(1, -(-nbytes // PART_BYTES))
    return parts


def _join_bytes(cells: list[pa.Scalar]) -> Array:
    """The bytes of an image's cells, one per column, end to end: a view of the first when it is the only one."""
    buffers = [np.frombuffer(cell.as_buffer(), dtype=np.uint8) for cell in cells]
    return buffers[0] if len(buffers) == 1 else np.concatenate(buffers)


def _plan_batches(
    access: DataAccess, observables: list[Observable], run_numbers: RunNumbers, batch_bytes: int
) -> Iterator[RunNumbers]:
    """The runs in row groups of at most ``batch_bytes`` of values as stored (8 per scalar) and ``MAX_BATCH_RUNS``
    runs, at least one run each.

    Sizes come from the database, so a row group's arrays are loaded only when it is built: never two at a time.
    """
    if not len(run_numbers):
        return
    arrays = [item for item in observables if item.kind is not ObservableKind.SCALAR]
    if not arrays:  # every run is the same size: no sizes to read, and row groups of up to SCALAR_BATCH_RUNS
        step = max(1, min(SCALAR_BATCH_RUNS, batch_bytes // (8 * len(observables))))
        for start in range(0, len(run_numbers), step):
            yield run_numbers[start : start + step]
        return
    sizes = [values.stored_sizes(access, item, int(run_numbers[0]), int(run_numbers[-1])) for item in arrays]
    scalar_bytes = 8 * (len(observables) - len(arrays))
    batch: list[int] = []
    total = 0
    for run in run_numbers.tolist():
        nbytes = scalar_bytes + sum(by_run.get(run, 0) for by_run in sizes)
        if batch and (total + nbytes > batch_bytes or len(batch) >= MAX_BATCH_RUNS):
            yield np.asarray(batch, dtype=np.int32)
            batch, total = [], 0
        batch.append(run)
        total += nbytes
    yield np.asarray(batch, dtype=np.int32)


def _build_table(access: DataAccess, schema: pa.Schema, observables: list[Observable], runs: RunNumbers) -> pa.Table:
    """One row group: the runs' values, array columns in chunks of about ``CHUNK_BYTES``."""
    run_column = np.ascontiguousarray(runs, dtype=np.int32)
    columns: list[pa.Array | pa.ChunkedArray] = [
        pa.Array.from_buffers(pa.int32(), len(runs), [None, pa.py_buffer(run_column)])
    ]
    first, last = int(runs[0]), int(runs[-1])
    columns_of = {item.name: _scalar_column(access, item, runs) for item in observables if _single_dtype(item)}
    scalar_items = [item for item in observables if item.kind is ObservableKind.SCALAR and item.name not in columns_of]
    scalar_values = values.load_scalar_series(access, scalar_items, first, last)
    for item in observables:
        field = schema.field(item.name)
        if item.name in columns_of:
            columns.append(_fixed_width_column(*columns_of[item.name], field.type))
            continue
        if item.kind is ObservableKind.SCALAR:
            columns.append(_scalar_cells(scalar_values.get(item.id, {}), runs, field))
            continue
        dtype = np.dtype(field.metadata[b"dtype"].decode()).newbyteorder("<")
        arrays = [values.load_value(access, item, run) for run in runs.tolist()]
        groups = _chunk_groups(arrays)
        if item.kind is ObservableKind.ARRAY1D:
            columns.append(pa.chunked_array([_list_column(g, dtype, field.type) for g in groups], type=field.type))
            continue
        flattened = [_flatten(group, dtype) for group in groups]  # once: a dtype change copies
        columns.extend(
            pa.chunked_array([_bytes_column(*f, dtype.itemsize, part) for f in flattened], type=field.type)
            for part in range(int(field.metadata[b"parts"]))
        )
        columns.append(pa.array([None if a is None else a.shape for a in arrays], type=pa.list_(pa.int64())))
    return pa.Table.from_arrays(columns, schema=schema)


def _scalar_cells(by_run: Mapping[int, Array], runs: RunNumbers, field: pa.Field) -> pa.Array:
    """A scalar column from values read one by one, cast in numpy to the field's dtype: a NaN keeps its payload
    (through a Python float it would come out as the quiet NaN)."""
    dtype = np.dtype(field.metadata[b"dtype"].decode())
    column = np.zeros(len(runs), dtype=dtype)
    present = np.zeros(len(runs), dtype=bool)
    for position, run in enumerate(runs.tolist()):
        value = by_run.get(run)
        if value is not None:
            column[position] = value.astype(dtype)
            present[position] = True
    return _fixed_width_column(column, present, field.type)


def _single_dtype(item: Observable) -> bool:
    return item.kind is ObservableKind.SCALAR and not item.exact and len(item.dtypes) == 1


def _scalar_column(access: DataAccess, item: Observable, runs: RunNumbers) -> tuple[Array, Array]:
    """A scalar's values at ``runs`` (zero where absent) and where it has one, read as columns, not row by row."""
    wanted = np.asarray(runs, dtype=np.int32)
    found = values.load_scalar_column(access, item, int(runs[0]), int(runs[-1]))
    assert found is not None  # _single_dtype holds
    stored_runs, stored = found
    position = np.searchsorted(wanted, stored_runs)
    position = np.minimum(position, wanted.size - 1)
    hit = wanted[position] == stored_runs
    column = np.zeros(wanted.size, dtype=stored.dtype)
    present = np.zeros(wanted.size, dtype=bool)
    column[position[hit]] = stored[hit]
    present[position[hit]] = True
    return column, present


def _fixed_width_column(values: Array, present: Array, value_type: pa.DataType) -> pa.Array:
    """An Arrow column over the values' own buffer (booleans packed to bits), null where ``present`` is False.

    ``pa.array`` would do, but its first call imports pandas to check for a pandas object: 2 s of an export.
    """
    data = np.packbits(values, bitorder="little") if values.dtype == np.bool_ else np.ascontiguousarray(values)
    validity = pa.py_buffer(np.packbits(present, bitorder="little"))
    return pa.Array.from_buffers(value_type, len(values), [validity, pa.py_buffer(data)])


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


def _list_column(arrays: list[Array | None], dtype: np.dtype[Any], list_type: pa.DataType) -> pa.Array:
    """A large_list chunk of the arrays' values."""
    flat, offsets, validity = _flatten(arrays, dtype)
    children = [pa.array(flat, type=list_type.value_type)]
    return pa.Array.from_buffers(list_type, len(arrays), [validity, pa.py_buffer(offsets)], children=children)


def _bytes_column(flat: Array, offsets: Array, validity: pa.Buffer, itemsize: int, part: int) -> pa.Array:
    """A large_binary chunk of flattened arrays' raw bytes from ``part * PART_BYTES`` on, at most ``PART_BYTES`` of
    each array (empty for an array that ends before): a view of ``flat`` unless the pieces have to be gathered."""
    data = flat.view(np.uint8)
    ends = offsets * itemsize
    start = np.minimum(ends[:-1] + part * PART_BYTES, ends[1:])
    stop = np.minimum(start + PART_BYTES, ends[1:])
    value_offsets = np.zeros(len(offsets), dtype=np.int64)
    np.cumsum(stop - start, out=value_offsets[1:])
    if np.array_equal(start[1:], stop[:-1]):  # the pieces follow each other: one slice holds them all
        body = data[start[0] : stop[-1]]
    else:
        body = np.concatenate([data[a:b] for a, b in zip(start, stop, strict=True)])
    buffers = [validity, pa.py_buffer(value_offsets), pa.py_buffer(body)]
    return pa.Array.from_buffers(pa.large_binary(), len(offsets) - 1, buffers)


def _flatten(arrays: list[Array | None], dtype: np.dtype[Any]) -> tuple[Array, Array, pa.Buffer]:
    """The arrays' values end to end in ``dtype`` (one array is not copied), each run's offset into them in values,
    and the validity bitmap: a run without the value is null."""
    present = [np.ascontiguousarray(a, dtype=dtype).reshape(-1) for a in arrays if a is not None]
    if len(present) == 1:
        flat = present[0]
    else:
        flat = np.concatenate(present) if present else np.empty(0, dtype=dtype)
    offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
    np.cumsum([0 if a is None else a.size for a in arrays], out=offsets[1:])
    valid = np.array([a is not None for a in arrays], dtype=bool)
    return flat, offsets, pa.py_buffer(np.packbits(valid, bitorder="little"))
