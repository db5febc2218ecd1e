"""The sidecar's file format, shared by every backend: one row, one large_binary column per observable.

Each column holds an array's raw little-endian bytes; dtype, shape and SHA-256 live in the database (and in the
column's field metadata), so a reader projects one column and checks it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

SUFFIX = ".parquet"
TEMP_SUFFIX = ".tmp"
#: the only names a sidecar file can have: built from the run number and a random token, nothing a user typed
FILE_NAME = re.compile(r"^\d{5}/run-\d{1,10}-[0-9a-f]{16}\.parquet(\.tmp)?$")


class SidecarError(RuntimeError):
    """A sidecar file is missing, unreadable or fails its checksum, or a path escapes the root."""


@dataclass(frozen=True)
class StoredArray:
    """Where one 2D array lives in the sidecar, and how to check it."""

    file: str
    column_name: str
    dtype: str
    shape: tuple[int, ...]
    nbytes: int
    checksum: str


def new_file_name(run: int) -> str:
    return f"{run // 1000:05d}/run-{run}-{secrets.token_hex(8)}{SUFFIX}"


def check_file_name(relative: str) -> str:
    """:raises SidecarError: for any name the store could not have made (traversal, absolute paths, ...)."""
    if not FILE_NAME.fullmatch(relative):
        raise SidecarError(f"refusing a path outside the sidecar root: {relative!r}")
    return relative


def build_table(
    run: int, file: str, arrays: Mapping[int, np.ndarray[Any, Any]]
) -> tuple[pa.Table, dict[int, StoredArray]]:
    """The one-row table of a run's 2D arrays (no copies of the data) and the references to store."""
    fields, columns, stored = [], [], {}
    for observable_id, array in arrays.items():
        data = _little_endian(array)
        column_name = str(int(observable_id))
        checksum = hashlib.sha256(data.data).hexdigest()
        meta = {b"dtype": data.dtype.name.encode(), b"shape": ",".join(map(str, data.shape)).encode()}
        fields.append(pa.field(column_name, pa.large_binary(), metadata=meta))
        columns.append(_one_value_column(data))
        stored[observable_id] = StoredArray(
            file, column_name, data.dtype.name, tuple(data.shape), data.nbytes, checksum
        )
    table = pa.Table.from_arrays(columns, schema=pa.schema(fields, metadata={b"run": str(run).encode()}))
    return table, stored


def decode_column(table: pa.Table, ref: StoredArray) -> np.ndarray[Any, Any]:
    """The array in a projected one-column table, checked against its checksum.

    :raises SidecarError: when the column is malformed or the bytes fail the checksum.
    """
    try:
        buffer = table.column(0).chunk(0).buffers()[2]
    except (IndexError, KeyError, pa.ArrowException) as exc:
        raise SidecarError(f"cannot read {ref.file}: {exc}") from exc
    return check_bytes(buffer, ref)


def check_bytes(buffer: Any, ref: StoredArray) -> np.ndarray[Any, Any]:
    """The array whose raw bytes start ``buffer`` (any object with the buffer protocol), as a view of it.

    :raises SidecarError: when the buffer is too short or its bytes fail the checksum.
    """
    count = int(np.prod(ref.shape))
    dtype = np.dtype(ref.dtype).newbyteorder("<")
    if buffer is None or memoryview(buffer).nbytes < count * dtype.itemsize:
        raise SidecarError(f"{ref.file} column {ref.column_name} is shorter than its array: the file is corrupt")
    data = np.frombuffer(buffer, dtype=dtype, count=count)
    if hashlib.sha256(data.data).hexdigest() != ref.checksum:
        raise SidecarError(f"checksum mismatch in {ref.file} column {ref.column_name}: the file is corrupt")
    return data.reshape(ref.shape)


def _little_endian(array: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    array = np.ascontiguousarray(array)
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("<"))
    return array


def _one_value_column(data: np.ndarray[Any, Any]) -> pa.Array:
    """A one-row large_binary column over the array's own memory (no copy)."""
    offsets = pa.py_buffer(np.array([0, data.nbytes], dtype=np.int64))
    return pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
