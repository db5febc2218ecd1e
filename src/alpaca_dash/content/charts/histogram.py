"""The histogram panel: counts of a 1D observable's values, computed on the server."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from alpaca_dash.content.charts.common import GRID_LINES, Option, base_option, number_axis
from alpaca_dash.content.charts.packed import PACKED_KEY, pack_rows, series_data

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
    """Bars on a value axis from the first bin edge to the last, each as wide as its bin, so the axis has round
    ticks (a category axis labelled every bin centre with 5 digits); empty bins are left out on a log scale."""
    centres = (edges[:-1] + edges[1:]) / 2
    heights = counts.astype(np.float64)
    if log_y:
        heights[heights <= 0] = np.nan  # no bar: log(0) is not drawable
    option = base_option()
    option["tooltip"] = {"trigger": "axis", "confine": True}
    option["xAxis"] = number_axis(x_name, min=float(edges[0]), max=float(edges[-1]), nameLocation="middle", nameGap=24)
    # the ends are bin edges, not round numbers: their labels would crowd the round ticks
    option["xAxis"]["axisLabel"].update(showMinLabel=False, showMaxLabel=False)
    option["yAxis"] = {
        "type": "log" if log_y else "value",
        "name": "count",
        "minorTick": {"show": log_y},
        "splitLine": GRID_LINES,
    }
    bars = {"type": "bar", PACKED_KEY: pack_rows(centres, heights), "barWidth": "100%", "barCategoryGap": "0%"}
    option["series"] = [{**bars, "large": True}]
    return option


def histogram_edges(option: Option) -> np.ndarray[Any, Any]:
    """The bin edges of a histogram panel's option (equal bins between its axis' ends, as ``np.histogram`` made)."""
    bins = len(series_data(option["series"][0]))
    return np.linspace(option["xAxis"]["min"], option["xAxis"]["max"], bins + 1)
