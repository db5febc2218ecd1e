"""The histogram panel: counts of a 1D observable's values, computed on the server."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from alpaca_dash.web.panels.common import Option, base_option, compact
from alpaca_dash.web.panels.packed import PACKED_KEY, pack_values

MAX_BINS = 1000


def compute_histogram(
    values: np.ndarray[Any, Any], *, bins: int = 50, bin_width: float | None = None
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """``(edges, counts)`` over the finite values; ``bin_width`` wins over ``bins`` (at most 1000 bins)."""
    data = values.astype(np.float64, copy=False).ravel()
    data = data[np.isfinite(data)]
    if data.size == 0:
        return np.array([0.0, 1.0]), np.array([0])
    low, high = float(data.min()), float(data.max())
    if high <= low:
        low, high = low - 0.5, high + 0.5
    if bin_width is not None:
        bins = math.ceil((high - low) / bin_width) or 1
        high = low + bins * bin_width
    bins = max(1, min(MAX_BINS, bins))
    counts, edges = np.histogram(data, bins=bins, range=(low, high))
    return edges, counts


def build_histogram_option(
    edges: np.ndarray[Any, Any], counts: np.ndarray[Any, Any], *, x_name: str = "", log_y: bool = False
) -> Option:
    """Bars between the bin edges; empty bins are left out on a log scale."""
    centres = compact((edges[:-1] + edges[1:]) / 2, digits=5)
    heights = counts.astype(np.float64)
    if log_y:
        heights[heights <= 0] = np.nan  # no bar: log(0) is not drawable
    option = base_option()
    option["tooltip"] = {"trigger": "axis", "confine": True, "axisPointer": {"type": "shadow"}}
    option["xAxis"] = {
        "type": "category",
        "data": centres,
        "name": x_name,
        "nameLocation": "middle",
        "nameGap": 24,
    }
    option["yAxis"] = {"type": "log" if log_y else "value", "name": "count", "minorTick": {"show": log_y}}
    option["series"] = [{"type": "bar", PACKED_KEY: pack_values(heights), "barCategoryGap": "0%", "large": True}]
    return option
