"""The difference or ratio to the reference run, drawn under a waveform or a histogram in a second grid that shares
the main plot's x axis (zooming one zooms both).

A waveform's reference is taken at the shown run's x: as it is when both runs were sampled at the same x, else
linearly interpolated onto the shown run's x (and the series says so). A ratio where the reference is 0, and
anything that is not a finite number, is a gap.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from alpaca_dash.content.charts.common import GRID_LINES, MINUS, NUMBER_LABEL, Option
from alpaca_dash.content.charts.packed import PACKED_KEY, pack_rows
from alpaca_dash.content.data import Target
from alpaca_dash.content.options import ChartOptions
from alpaca_dash.types import Array

ReferencePlot = Literal["none", "difference", "ratio"]
#: as the panel dialog offers them
REFERENCE_PLOTS = {"none": "nothing", "difference": f"run {MINUS} reference", "ratio": "run / reference"}
#: the sub-plot's y axis name
SUB_AXIS = {"difference": f"run {MINUS} ref", "ratio": "run / ref"}
INTERPOLATED = "reference interpolated onto this run's x"
SUB_COLOR = "#444444"
#: pixels: the x axis labels and name under the sub-plot, the sub-plot's y name between the two grids
BOTTOM, GAP, TOP = 40, 22, 28


class ReferencePlotOptions(ChartOptions):
    """Options of a chart type that can draw the difference or ratio to the reference under its plot."""

    #: under the plot: nothing, the shown run minus the reference, or the shown run divided by it
    reference_plot: ReferencePlot = "none"


def reference_at(size: int, x: Array | None, reference: Array, reference_x: Array | None) -> tuple[Array, bool]:
    """The reference's values at the shown run's ``size`` samples (at ``x``, or at the sample index) and whether
    they had to be interpolated: a reference with the run's x grid (or no x of its own) is taken sample by sample
    (NaN past its end), any other linearly interpolated onto the run's x (NaN outside the reference's x range)."""
    ref = reference.astype(np.float64, copy=False).ravel()
    if x is None or reference_x is None:
        taken = np.full(size, np.nan)
        n = min(size, ref.size)
        taken[:n] = ref[:n]
        return taken, False
    run_x = x[:size].astype(np.float64, copy=False)
    n = min(ref.size, reference_x.size)
    ref_x, ref = reference_x[:n].astype(np.float64, copy=False), ref[:n]
    if ref_x.shape == run_x.shape and np.array_equal(ref_x, run_x):
        return ref, False
    usable = np.isfinite(ref_x)
    ref_x, ref = ref_x[usable], ref[usable]
    if ref_x.size > 1 and bool(np.any(ref_x[1:] < ref_x[:-1])):
        order = np.argsort(ref_x, kind="stable")
        ref_x, ref = ref_x[order], ref[order]
    if ref_x.size == 0:
        return np.full(run_x.size, np.nan), True
    return np.interp(run_x, ref_x, ref, left=np.nan, right=np.nan), True


def compared_to(values: Array, reference: Array, how: ReferencePlot) -> Array:
    """``values - reference`` or ``values / reference`` in float64, NaN (a gap) where the reference is 0 for a
    ratio and wherever the result is not a finite number."""
    run = values.astype(np.float64, copy=False).ravel()
    ref = reference.astype(np.float64, copy=False).ravel()
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        found = run - ref if how == "difference" else np.where(ref != 0, run / np.where(ref != 0, ref, 1.0), np.nan)
    return np.where(np.isfinite(found), found, np.nan)


def sub_series_name(how: ReferencePlot, run: int, reference: int, *, interpolated: bool) -> str:
    """The sub-plot's series as the tooltip names it, e.g. ``run 390003 / reference 390000``."""
    sign = MINUS if how == "difference" else "/"
    name = f"run {run} {sign} reference {reference}"
    return f"{name} ({INTERPOLATED})" if interpolated else name


def column_name(how: ReferencePlot, run: int, reference: int, *, interpolated: bool) -> str:
    """The download's column of the sub-plot's values."""
    sign = "-" if how == "difference" else "/"
    name = f"{how} run {run} {sign} reference {reference}"
    return f"{name} ({INTERPOLATED})" if interpolated else name


def sub_height(panel_height: int) -> int:
    """The sub-plot's height in pixels: about a third of the plotting height, at least 36."""
    return max(36, round((panel_height - TOP - BOTTOM - GAP) * 0.3))


def with_reference_plot(
    option: Option,
    points: tuple[Array, Array],
    how: ReferencePlot,
    name: str,
    *,
    panel_height: int,
    step: bool = False,
    extent: tuple[float, float] | None = None,
) -> Option:
    """``option`` (one grid, one x axis) with a second grid under it drawing ``points`` (x, the difference or the
    ratio), zoomed with the main plot and sharing its axis pointer. Both x axes show ``extent`` when given (else
    the main axis' ``min`` and ``max``, which a histogram sets), so that they line up; the main x axis keeps its
    ticks, its labels and name go under the sub-plot."""
    height = sub_height(panel_height)
    main_grid = {**option["grid"], "bottom": BOTTOM + height + GAP}
    sub_grid = {**{k: v for k, v in option["grid"].items() if k != "top"}, "bottom": BOTTOM, "height": height}
    main_x = option["xAxis"]
    if extent is not None:
        # the ends are the data's, not round numbers: their labels would crowd the round ticks
        labels = {**main_x.get("axisLabel", {}), "showMinLabel": False, "showMaxLabel": False}
        main_x = {**main_x, "min": extent[0], "max": extent[1], "axisLabel": labels}
    sub_x = {**main_x, "gridIndex": 1}
    main_x = {**main_x, "name": "", "axisLabel": {**main_x.get("axisLabel", {}), "show": False}}
    sub_y = {
        "type": "value",
        "name": SUB_AXIS[how],
        "nameTextStyle": {"align": "left"},
        "nameGap": 6,
        "gridIndex": 1,
        "scale": how == "ratio",
        "splitNumber": 2,
        "axisLabel": {":formatter": NUMBER_LABEL},
        "axisLine": {"onZero": False},
        "splitLine": GRID_LINES,
    }
    level = 0.0 if how == "difference" else 1.0
    series: Option = {
        "type": "line",
        "name": name,
        "xAxisIndex": 1,
        "yAxisIndex": 1,
        PACKED_KEY: pack_rows(*points),
        "showSymbol": False,
        "sampling": "none",
        "connectNulls": False,
        "lineStyle": {"width": 1, "color": SUB_COLOR},
        "itemStyle": {"color": SUB_COLOR},
        "markLine": {
            "silent": True,
            "symbol": "none",
            "label": {"show": False},
            "lineStyle": {"type": "dashed", "color": "rgba(128, 128, 128, 0.8)", "width": 1},
            "data": [{"yAxis": level}],
        },
    }
    if step:
        series["step"] = "middle"
    zooms = [{**zoom, "xAxisIndex": [0, 1]} for zoom in option.get("dataZoom", [{"type": "inside"}])]
    tooltip = {**option.get("tooltip", {}), "trigger": "axis"}
    return {
        **option,
        "grid": [main_grid, sub_grid],
        "xAxis": [main_x, sub_x],
        "yAxis": [option["yAxis"], sub_y],
        "series": [*option["series"], series],
        "dataZoom": zooms,
        "tooltip": tooltip,
        "axisPointer": {"link": [{"xAxisIndex": "all"}]},
    }


def without_reference(option: Option, how: ReferencePlot, target: Target) -> Option:
    """``option`` of a panel that asks for a sub-plot but has nothing to compare with, saying why in its corner: no
    reference run, the shown run is the reference, or the reference run holds no value of the panel's observable."""
    if how == "none":
        return option
    if target.reference is None:
        why = "no reference run (pin one: R)"
    elif target.compared is None:
        why = "the shown run is the reference"
    else:
        why = f"reference {target.reference} has no value"
    note = {"type": "text", "right": 8, "bottom": 2, "silent": True,
            "style": {"text": f"{how}: {why}", "fill": "#757575", "fontSize": 11}}  # fmt: skip
    return {**option, "graphic": {"elements": [note]}}


def x_extent(*columns: Array) -> tuple[float, float] | None:
    """The smallest and largest finite x of the columns, the range both x axes then show."""
    lows, highs = [], []
    for column in columns:
        finite = np.asarray(column, dtype=np.float64)
        finite = finite[np.isfinite(finite)]
        if finite.size:
            lows.append(float(finite.min()))
            highs.append(float(finite.max()))
    return (min(lows), max(highs)) if lows and min(lows) < max(highs) else None
