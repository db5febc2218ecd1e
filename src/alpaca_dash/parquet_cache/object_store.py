"""The Parquet sidecar on S3-compatible object storage (CERN S3, MinIO, ...) through ``pyarrow.fs``.

For a scaled-out deployment, where web instances and the ingest worker do not share a disk. An object PUT is atomic,
so files are written straight to their final key; reads fetch only the byte ranges of the one column asked for.
Credentials come from the usual ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` environment variables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlparse

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from pyarrow import fs

from alpaca_dash.parquet_cache.format import (
    SUFFIX,
    TEMP_SUFFIX,
    SidecarError,
    StoredArray,
    build_table,
    check_file_name,
    decode_column,
    new_file_name,
)
from alpaca_dash.parquet_cache.store import WRITE_OPTIONS, ParquetStore


class ObjectStoreParquetStore(ParquetStore):
    """2D arrays under ``s3://bucket/prefix``.

    :param endpoint: ``http(s)://host:port`` of an S3-compatible service; empty for AWS itself.
    :param access_key: with ``secret_key``, the credentials; empty: the AWS SDK's own (``AWS_*`` variables, files).
    """

    def __init__(
        self,
        uri: str,
        *,
        endpoint: str = "",
        access_key: str = "",
        secret_key: str = "",
        filesystem: fs.FileSystem | None = None,
    ) -> None:
        parsed = urlparse(uri)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise SidecarError(f"expected an s3://bucket/prefix URI for the sidecar, got {uri!r}")
        self.base = f"{parsed.netloc}/{parsed.path.strip('/')}".rstrip("/")
        self.uri = uri
        self.fsync = False
        if filesystem is None:
            options: dict[str, Any] = {}
            if endpoint:
                endpoint_url = urlparse(endpoint)
                options = {"endpoint_override": endpoint_url.netloc, "scheme": endpoint_url.scheme or "https"}
            if access_key:
                options |= {"access_key": access_key, "secret_key": secret_key}
            filesystem = fs.S3FileSystem(**options)
        self.fs = filesystem

    @property
    def location(self) -> str:
        return self.uri

    def write_run(self, run: int, arrays: Mapping[int, np.ndarray[Any, Any]]) -> dict[int, StoredArray]:
        if not arrays:
            return {}
        relative = new_file_name(run)
        table, stored = build_table(run, relative, arrays)
        try:
            pq.write_table(table, self.key(relative), filesystem=self.fs, **WRITE_OPTIONS)
        except (OSError, pa.ArrowException) as exc:
            raise SidecarError(f"cannot write 2D arrays of run {run} to {self.uri}: {exc}") from exc
        return stored

    def read(self, ref: StoredArray) -> np.ndarray[Any, Any]:
        try:
            table = pq.read_table(self.key(ref.file), filesystem=self.fs, columns=[ref.column_name])
        except (OSError, pa.ArrowException) as exc:
            raise SidecarError(f"cannot read {ref.file} from {self.uri}: {exc}") from exc
        return decode_column(table, ref)

    def remove(self, files: Iterable[str]) -> None:
        for relative in files:
            try:
                self.fs.delete_file(self.key(relative))
            except FileNotFoundError:
                pass

    def _files(self) -> list[tuple[str, float]]:
        selector = fs.FileSelector(self.base, recursive=True, allow_not_found=True)
        found = []
        for info in self.fs.get_file_info(selector):
            if info.type == fs.FileType.File and (
                info.path.endswith(SUFFIX) or info.path.endswith(SUFFIX + TEMP_SUFFIX)
            ):
                relative = info.path[len(self.base) + 1 :]
                found.append((relative, info.mtime.timestamp() if info.mtime else 0.0))
        return found

    def key(self, relative: str) -> str:
        """The object key of a sidecar file.

        :raises SidecarError: when the name is not one the store makes.
        """
        return f"{self.base}/{check_file_name(relative)}"
