"""Series data sent to the browser as base64 of little-endian floats, unpacked by a small script in the page.

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
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from alpaca_dash.types import Array

PACKED_KEY = ":data"
#: relative to a column's span: the largest rounding error float32 may add
TOLERANCE = 1e-6

#: the page's decoder: ``alpacaRows(b64, widths)`` gives ``[[c0, c1, ...], ...]``, ``alpacaValues`` a flat list
PACKED_JS = """
window.alpacaColumns = (b64, widths) => {
  const text = atob(b64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  const sizes = [...widths].map(Number);
  const n = bytes.length / sizes.reduce((a, b) => a + b, 0);
  let offset = 0;
  return sizes.map((size) => {
    const buffer = bytes.slice(offset, offset + n * size).buffer;
    offset += n * size;
    const numbers = size === 4 ? new Float32Array(buffer) : new Float64Array(buffer);
    return Array.from(numbers, (v) => (Number.isFinite(v) ? (size === 4 ? Number(v.toPrecision(7)) : v) : null));
  });
};
// marked as Vue marks raw objects: the page's element store is reactive, and ECharts reading thousands of points
// through Vue's proxies costs more than drawing them
window.alpacaRaw = (array) => Object.defineProperty(array, "__v_skip", { value: true });
window.alpacaRows = (b64, widths) => {
  const columns = window.alpacaColumns(b64, widths);
  return window.alpacaRaw(columns[0].map((_, i) => columns.map((column) => column[i])));
};
window.alpacaValues = (b64, widths) => window.alpacaRaw(window.alpacaColumns(b64, widths)[0]);
// a panel's new option straight to its chart, without a Vue update: ":key" values are JavaScript expressions
window.alpacaEvaluate = (node) => {
  if (Array.isArray(node)) node.forEach(window.alpacaEvaluate);
  else if (node && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith(":")) {
        node[key.slice(1)] = new Function(`return (${value})`)();
        delete node[key];
      } else window.alpacaEvaluate(value);
    }
  }
  return node;
};
window.alpacaSetOptions = (options) => {
  for (const [id, option] of Object.entries(options)) {
    const chart = getElement(id)?.chart;
    if (!chart) continue;
    const series = chart.getOption()?.series?.length;
    chart.setOption(window.alpacaEvaluate(option), { notMerge: series !== option.series?.length });
  }
};
"""

_EXPRESSION = re.compile(r"alpaca(Rows|Values)\('([A-Za-z0-9+/=]*)','([48]+)'\)")


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


def pack_rows(*columns: Any) -> str:
    """The JavaScript expression of the points ``[[columns[0][i], columns[1][i], ...], ...]``."""
    text, widths = _encode([np.asarray(column) for column in columns])
    return f"alpacaRows('{text}','{widths}')"


def pack_values(values: Any) -> str:
    """The JavaScript expression of a flat list of numbers (bar heights on a category axis)."""
    text, widths = _encode([np.asarray(values)])
    return f"alpacaValues('{text}','{widths}')"


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
    expression = series.get(PACKED_KEY)
    if expression is None:
        return list(series.get("data") or [])
    match = _EXPRESSION.fullmatch(expression)
    if match is None:
        raise ValueError(f"not packed series data: {expression[:40]!r}")
    kind, text, widths = match.groups()
    columns = _decode(text, widths)
    return columns[0] if kind == "Values" else [list(row) for row in zip(*columns, strict=True)]
