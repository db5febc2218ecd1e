"""The Parquet sidecar for 2D arrays: one new, uniquely named file per ingested run, one column per observable.

Each column holds one value: the array's raw little-endian bytes. Its dtype, shape and SHA-256 live in the database
(and in the column's field metadata), so a read projects one column from a memory-mapped file and checks it.
Files are written under a temporary name, flushed to disk and renamed, so a crash never leaves a half file with a
final name; the database row that references a file is committed only after the rename.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SUFFIX = ".parquet"
TEMP_SUFFIX = ".tmp"


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


def checksum_of(array: np.ndarray[Any, Any]) -> str:
    return hashlib.sha256(_little_endian(array).data).hexdigest()


def _little_endian(array: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    array = np.ascontiguousarray(array)
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("<"))
    return array


class ParquetStore:
    """2D arrays under ``root``; every path is built from run and observable ids only, and checked to stay there."""

    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        self.root = root.resolve()
        self.fsync = fsync

    def write_run(self, run: int, arrays: Mapping[int, np.ndarray[Any, Any]]) -> dict[int, StoredArray]:
        """Write the 2D arrays of one run (observable id to array) to a new file.

        :returns: observable id to the reference to store in the database.
        :raises SidecarError: when the file cannot be written (disk full, permissions); nothing is left behind.
        """
        if not arrays:
            return {}
        relative = f"{run // 1000:05d}/run-{run}-{secrets.token_hex(8)}{SUFFIX}"
        final = self.resolve(relative)
        temp = final.with_name(final.name + TEMP_SUFFIX)
        fields, columns, stored = [], [], {}
        for observable_id, array in arrays.items():
            data = _little_endian(array)
            column_name = str(int(observable_id))
            checksum = hashlib.sha256(data.data).hexdigest()
            meta = {b"dtype": data.dtype.name.encode(), b"shape": ",".join(map(str, data.shape)).encode()}
            fields.append(pa.field(column_name, pa.large_binary(), metadata=meta))
            columns.append(_one_value_column(data))
            stored[observable_id] = StoredArray(
                relative, column_name, data.dtype.name, tuple(data.shape), data.nbytes, checksum
            )
        table = pa.Table.from_arrays(columns, schema=pa.schema(fields, metadata={b"run": str(run).encode()}))
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            # images are mostly noise, so compression would cost ingest time for little gain
            pq.write_table(table, temp, compression="none", use_dictionary=False, write_statistics=False)
            if self.fsync:
                _fsync_file(temp)
            os.replace(temp, final)
        except OSError as exc:
            with contextlib.suppress(OSError):  # the folder itself may be what failed
                temp.unlink(missing_ok=True)
            raise SidecarError(f"cannot write 2D arrays of run {run} under {self.root}: {exc}") from exc
        return stored

    def read(self, ref: StoredArray) -> np.ndarray[Any, Any]:
        """The array a reference points to, checked against its checksum.

        :raises SidecarError: when the file is missing or unreadable, or the bytes fail the checksum.
        """
        path = self.resolve(ref.file)
        try:
            table = pq.read_table(path, columns=[ref.column_name], memory_map=True)
            buffer = table.column(0).chunk(0).buffers()[2]
        except (OSError, pa.ArrowException, IndexError, KeyError) as exc:
            raise SidecarError(f"cannot read {ref.file}: {exc}") from exc
        data = np.frombuffer(buffer, dtype=np.dtype(ref.dtype).newbyteorder("<"), count=int(np.prod(ref.shape)))
        if hashlib.sha256(data.data).hexdigest() != ref.checksum:
            raise SidecarError(f"checksum mismatch in {ref.file} column {ref.column_name}: the file is corrupt")
        return data.reshape(ref.shape)

    def remove(self, files: Iterable[str]) -> None:
        for relative in files:
            self.resolve(relative).unlink(missing_ok=True)

    def list_files(self) -> list[str]:
        """Every sidecar file, final or temporary, relative to the root."""
        if not self.root.exists():
            return []
        return sorted(
            str(p.relative_to(self.root))
            for p in self.root.glob("*/*")
            if p.is_file() and (p.name.endswith(SUFFIX) or p.name.endswith(SUFFIX + TEMP_SUFFIX))
        )

    def reconcile(self, referenced: set[str], *, min_age_seconds: float = 3600.0) -> list[str]:
        """Delete files no database row references, if older than ``min_age_seconds``.

        The age guard keeps files of an ingest that is writing now but has not committed yet.

        :returns: the files removed.
        """
        now = time.time()
        removed = []
        for relative in self.list_files():
            if relative in referenced:
                continue
            path = self.resolve(relative)
            try:
                age = now - path.stat().st_mtime
            except FileNotFoundError:
                continue
            if age >= min_age_seconds:
                path.unlink(missing_ok=True)
                removed.append(relative)
        return removed

    def resolve(self, relative: str) -> Path:
        """The absolute path of a sidecar file.

        :raises SidecarError: when the path would leave the root.
        """
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise SidecarError(f"refusing a path outside the sidecar root: {relative!r}")
        return path


def _one_value_column(data: np.ndarray[Any, Any]) -> pa.Array:
    """A one-row large_binary column over the array's own memory (no copy)."""
    offsets = pa.py_buffer(np.array([0, data.nbytes], dtype=np.int64))
    return pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
