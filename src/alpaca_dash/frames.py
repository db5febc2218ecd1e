"""Columns to data frames: pandas or polars (optional extras), through Arrow, with each column's own dtype.

A column is a numpy array and, where some rows have no value, a mask of the rows that do. Polars keeps nulls in any
dtype. Pandas does too where it can without losing a value: a float column without a value is NaN, and an integer
or bool column with missing rows becomes pandas' nullable ``UInt64``/``Int64``/``boolean`` (a plain numpy int column
cannot hold a missing value, and converting it to float64 would round integers beyond 2**53).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from alpaca_dash.types import Array

FrameKind = Literal["pandas", "polars", "arrow"]
FRAME_KINDS: tuple[FrameKind, ...] = ("pandas", "polars", "arrow")
EXTRA_HINT = "pip install 'alpaca-dash[notebook]'"


class FrameLibraryMissing(ImportError):
    """The data-frame library asked for is not installed."""


def check_frame_kind(kind: str) -> FrameKind:
    if kind not in FRAME_KINDS:
        raise ValueError(f"unknown frame kind {kind!r}: choose pandas, polars or arrow")
    return kind


def arrow_column(values: Array | list[Any], valid: Array | None = None, type: pa.DataType | None = None) -> pa.Array:
    """One column as Arrow, null where ``valid`` is False; datetime64 columns become UTC timestamps."""
    array = values if isinstance(values, np.ndarray) else None
    if array is not None and array.dtype.kind == "M":
        valid = ~np.isnat(array) if valid is None else valid & ~np.isnat(array)
        type = type or pa.timestamp("us", tz="UTC")
        values = array.astype("datetime64[us]").astype(np.int64)
    mask = None if valid is None or bool(np.all(valid)) else ~valid
    return pa.array(values, type=type, mask=mask)


def build_table(columns: Mapping[str, pa.Array]) -> pa.Table:
    return pa.table(dict(columns))


def to_frame(table: pa.Table, kind: FrameKind, *, index: str | None = None) -> Any:
    """The table as a pandas (indexed by ``index``), polars or pyarrow frame.

    :raises FrameLibraryMissing: when pandas or polars is not installed.
    """
    if kind == "arrow":
        return table
    if kind == "polars":
        try:
            import polars as pl
        except ImportError:
            raise FrameLibraryMissing(f"polars is not installed: {EXTRA_HINT}") from None
        return pl.from_arrow(table)
    try:
        import pandas as pd
    except ImportError:
        raise FrameLibraryMissing(f"pandas is not installed: {EXTRA_HINT}") from None
    series = {name: _pandas_column(table.column(name), pd) for name in table.column_names}
    frame = pd.DataFrame(series)
    return frame.set_index(index) if index is not None else frame


_NULLABLE = {
    **{getattr(pa, name)(): name.capitalize() for name in ("int8", "int16", "int32", "int64")},
    **{getattr(pa, name)(): "U" + name[1:].capitalize() for name in ("uint8", "uint16", "uint32", "uint64")},
    pa.bool_(): "boolean",
}


def _pandas_column(column: pa.ChunkedArray, pd: Any) -> Any:
    if column.null_count and column.type in _NULLABLE:
        nullable = pd.api.types.pandas_dtype(_NULLABLE[column.type])
        return column.to_pandas(types_mapper=lambda t: nullable if t == column.type else None)
    return column.to_pandas()
