"""Series data sent to the browser as base64 of little-endian floats, unpacked by ``alpaca.rows`` in the page.

A series of thousands of points written as JSON lists costs the server a Python object per number several times
over (NiceGUI wraps every nested list of an element's options to observe it, socket.io scans every item for
binary, the encoder formats every float). As one string per series it costs a copy. A builder puts the expression
under ``":data"``: NiceGUI's ECharts element evaluates keys starting with a colon in the browser.

Each column is float32 when that keeps every value within a millionth of the column's span (a fraction of a
pixel), else float64; float32 values are shown rounded to 7 significant digits, as the JSON was. NaN and
infinities arrive as null, a gap in the line.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import numpy as np

from alpaca_dash.types import Array

PACKED_KEY = ":data"
#: relative to a column's span: the largest rounding error float32 may add
TOLERANCE = 1e-6


class PackedData(str):
    """Packed series data: the browser's call ``alpaca.rows('<base64>','<widths>')`` or ``alpaca.values(...)``
    (``static/charts.js``) that gives the numbers back, carrying the encoded numbers for the server to read."""

    text: str
    widths: str
    flat: bool

    def __new__(cls, text: str, widths: str, *, flat: bool) -> PackedData:
        call = "alpaca.values" if flat else "alpaca.rows"
        packed = super().__new__(cls, f"{call}('{text}','{widths}')")
        packed.text, packed.widths, packed.flat = text, widths, flat
        return packed

    def __getnewargs_ex__(self) -> tuple[tuple[str, str], dict[str, bool]]:  # copies keep what they carry
        return (self.text, self.widths), {"flat": self.flat}


def _narrowest(values: Any) -> Array:
    column = np.asarray(values, dtype=np.float64).ravel()
    column = np.where(np.isfinite(column), column, np.nan)
    finite = column[np.isfinite(column)]
    if finite.size == 0:
        return column.astype("<f4")
    with np.errstate(over="ignore", invalid="ignore"):
        narrow = finite.astype(np.float32).astype(np.float64)
        error = np.abs(narrow - finite).max()
    span = float(finite.max() - finite.min())
    if np.isfinite(error) and error <= TOLERANCE * span:
        return column.astype("<f4")
    return column.astype("<f8")


def _encode(columns: list[Array]) -> tuple[str, str]:
    sizes = {len(column) for column in columns}
    if len(sizes) != 1:
        raise ValueError(f"columns of different lengths: {sorted(sizes)}")
    packed = [_narrowest(column) for column in columns]
    text = base64.b64encode(b"".join(column.tobytes() for column in packed)).decode("ascii")
    return text, "".join(str(column.dtype.itemsize) for column in packed)


def pack_rows(*columns: Any) -> PackedData:
    """The points ``[[columns[0][i], columns[1][i], ...], ...]``, packed."""
    text, widths = _encode([np.asarray(column) for column in columns])
    return PackedData(text, widths, flat=False)


def pack_values(values: Any) -> PackedData:
    """A flat list of numbers (bar heights on a category axis), packed."""
    text, widths = _encode([np.asarray(values)])
    return PackedData(text, widths, flat=True)


def _decode(text: str, widths: str) -> list[list[float | None]]:
    raw = base64.b64decode(text)
    sizes = [int(width) for width in widths]
    n = len(raw) // sum(sizes)
    columns, offset = [], 0
    for size in sizes:
        numbers = np.frombuffer(raw, dtype=f"<f{size}", count=n, offset=offset).astype(np.float64)
        offset += n * size
        shown = [float(f"{v:.7g}") for v in numbers.tolist()] if size == 4 else numbers.tolist()
        columns.append([v if np.isfinite(v) else None for v in shown])
    return columns


def series_data(series: Mapping[str, Any]) -> list[Any]:
    """A series' data as the browser sees it, packed or not: rows of numbers, or numbers, with None for gaps."""
    packed = series.get(PACKED_KEY)
    if packed is None:
        return list(series.get("data") or [])
    if not isinstance(packed, PackedData):
        raise ValueError(f"not packed series data: {str(packed)[:40]!r}")
    columns = _decode(packed.text, packed.widths)
    return columns[0] if packed.flat else [list(row) for row in zip(*columns, strict=True)]
