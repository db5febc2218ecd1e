"""The Parquet sidecar for 2D arrays on a local disk: one new, uniquely named file per ingested run.

Files are written under a temporary name, flushed to disk and renamed, so a crash never leaves a half file with a
final name; the database row that references a file is committed only after the rename. A read maps the file and
returns a view of the array's bytes where they lie (an uncompressed column holds one value as its last bytes), so an
image costs its pages of the page cache rather than a decoded copy and the reader's buffers beside it (2.3 times its
size for a 5120² image, docs/performance.md P8); any other layout is read by pyarrow. Either way the bytes are checked
against the array's SHA-256.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from alpaca_dash.parquet_cache.format import (
    SUFFIX,
    TEMP_SUFFIX,
    SidecarError,
    StoredArray,
    build_table,
    check_bytes,
    check_file_name,
    decode_column,
    new_file_name,
)

__all__ = ["ParquetStore", "SidecarError", "StoredArray"]

WRITE_OPTIONS: dict[str, Any] = {
    # images are mostly noise, so compression would cost ingest time for little gain
    "compression": "none",
    "use_dictionary": False,
    "write_statistics": False,
}


class ParquetStore:
    """2D arrays under ``root``; every path is built from run and observable ids only, and checked to stay there."""

    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        self.root = Path(root).resolve()
        self.fsync = fsync

    @property
    def location(self) -> str:
        return str(self.root)

    def write_run(self, run: int, arrays: Mapping[int, np.ndarray[Any, Any]]) -> dict[int, StoredArray]:
        """Write the 2D arrays of one run (observable id to array) to a new file.

        :returns: observable id to the reference to store in the database.
        :raises SidecarError: when the file cannot be written (disk full, permissions); nothing is left behind.
        """
        if not arrays:
            return {}
        relative = new_file_name(run)
        table, stored = build_table(run, relative, arrays)
        final = self.resolve(relative)
        temp = final.with_name(final.name + TEMP_SUFFIX)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, temp, **WRITE_OPTIONS)
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
            mapped = _mapped_value(path, ref)
            if mapped is not None:
                return check_bytes(mapped, ref)
            table = pq.read_table(path, columns=[ref.column_name], memory_map=True)
        except (OSError, pa.ArrowException) as exc:
            raise SidecarError(f"cannot read {ref.file}: {exc}") from exc
        return decode_column(table, ref)

    def remove(self, files: Iterable[str]) -> None:
        for relative in files:
            self.resolve(relative).unlink(missing_ok=True)

    def list_files(self) -> list[str]:
        """Every sidecar file, final or temporary, relative to the root."""
        return sorted(name for name, _ in self._files())

    def _files(self) -> list[tuple[str, float]]:
        if not self.root.exists():
            return []
        found = []
        for path in self.root.glob("*/*"):
            if path.is_file() and (path.name.endswith(SUFFIX) or path.name.endswith(SUFFIX + TEMP_SUFFIX)):
                with contextlib.suppress(FileNotFoundError):
                    found.append((str(path.relative_to(self.root)), path.stat().st_mtime))
        return found

    def reconcile(self, referenced: set[str], *, min_age_seconds: float = 3600.0) -> list[str]:
        """Delete files no database row references, if older than ``min_age_seconds``.

        The age guard keeps files of an ingest that is writing now but has not committed yet.

        :returns: the files removed.
        """
        now = time.time()
        orphans = sorted(
            name for name, mtime in self._files() if name not in referenced and now - mtime >= min_age_seconds
        )
        self.remove(orphans)
        return orphans

    def resolve(self, relative: str) -> Path:
        """The absolute path of a sidecar file.

        :raises SidecarError: when the name is not one the store makes, or would leave the root.
        """
        path = (self.root / check_file_name(relative)).resolve()
        if not path.is_relative_to(self.root):
            raise SidecarError(f"refusing a path outside the sidecar root: {relative!r}")
        return path


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _mapped_value(path: Path, ref: StoredArray) -> memoryview | None:
    """The array's bytes in a read-only map of the file, when its column is one uncompressed, unencoded value (as
    ``WRITE_OPTIONS`` writes it): those are the column chunk's last bytes, after their 4-byte length. None otherwise.
    """
    meta = pq.read_metadata(path)
    names = meta.schema.names
    if meta.num_row_groups != 1 or ref.column_name not in names:
        return None
    chunk = meta.row_group(0).column(names.index(ref.column_name))
    if chunk.compression != "UNCOMPRESSED" or chunk.has_dictionary_page or chunk.num_values != 1:
        return None
    end = chunk.data_page_offset + chunk.total_compressed_size
    start = end - ref.nbytes
    with path.open("rb") as file:
        mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    view = memoryview(mapped)
    if start < 4 or end > len(view) or int.from_bytes(view[start - 4 : start], "little") != ref.nbytes:
        return None
    return view[start:end]
