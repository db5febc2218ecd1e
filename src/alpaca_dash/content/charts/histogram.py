"""The histogram panel: counts of a 1D observable's values, computed on the server."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field

from alpaca_dash.content.charts.common import GRID_LINES, Option, axis_name, base_option, number_axis
from alpaca_dash.content.charts.packed import PACKED_KEY, pack_rows
from alpaca_dash.content.data import Download, PanelContent, PanelData, Size, Target
from alpaca_dash.content.downloads import aligned, csv_file, run_stem
from alpaca_dash.content.options import Unit
from alpaca_dash.content.overlay import Overlay, RunValues, compared_values, other_values, style_series, with_legend
from alpaca_dash.content.reference_plot import (
    ReferencePlotOptions,
    column_name,
    compared_to,
    sub_series_name,
    with_reference_plot,
    without_reference,
)
from alpaca_dash.content.registry import ChartType
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.domain import ObservableKind
from alpaca_dash.types import Array

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
    centres = edges_centres(edges)
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


Normalise = Literal["none", "area", "peak"]
#: the y axis of each normalisation
NORMALISED_AXIS = {"none": "count", "area": "fraction of entries", "peak": "fraction of the peak"}


class HistogramOptions(ReferencePlotOptions):
    unit: Unit = ""
    bins: Annotated[int, Field(ge=1, le=MAX_BINS)] = 50
    bin_width: Annotated[float, Field(gt=0)] | None = None
    log_y: bool = False
    #: each run's bars divided by its entries (``area``) or by its highest bar (``peak``), so that runs with
    #: different statistics compare
    normalise: Normalise = "none"
    overlay: Overlay | None = None


def bar_heights(values: np.ndarray[Any, Any], edges: np.ndarray[Any, Any], *, log_y: bool) -> np.ndarray[Any, Any]:
    """Counts of ``values`` (another run's) in the bins ``edges`` of the panel, NaN for no bar on a log scale."""
    finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values
    counts = np.histogram(finite, bins=edges)[0].astype(np.float64)
    if log_y:
        counts[counts <= 0] = np.nan
    return counts


def normalised(counts: np.ndarray[Any, Any], how: Normalise) -> np.ndarray[Any, Any]:
    """``counts`` as the panel draws them: as they are, as fractions of their sum, or of their largest."""
    heights = counts.astype(np.float64)
    finite = heights[np.isfinite(heights)]
    total = float(finite.sum()) if how == "area" else float(finite.max()) if finite.size else 0.0
    if how == "none" or total <= 0:
        return heights
    return heights / total


def load_histogram(data: PanelData, spec: PanelSpec, target: Target, size: Size) -> PanelContent:
    options = spec.options_as(HistogramOptions)
    observable = data.observables(spec.observables)[spec.observables[0]]
    values = data.value(observable, target.run)
    edges, counts = compute_histogram(values, bins=options.bins, bin_width=options.bin_width)
    x_name = axis_name(observable.name, options.unit or observable.unit or "")
    option = build_histogram_option(edges, counts, x_name=x_name, log_y=options.log_y)
    bars = option["series"][0]
    if options.normalise != "none":
        heights = normalised(bar_heights(values, edges, log_y=options.log_y), options.normalise)
        bars = {**bars, PACKED_KEY: pack_rows(edges_centres(edges), heights)}
        option["yAxis"]["name"] = NORMALISED_AXIS[options.normalise]
    others = compared_values(data, spec, target, options.overlay)
    if not others:
        plain = {**option, "series": [bars]}
        return PanelContent("ready", without_reference(plain, options.reference_plot, target))
    series = [style_series(bars, RunValues(target.run, "shown", values), 0, kind="histogram")]
    overlays = [o for o in others if o.role == "overlay"]
    reference = next((o for o in others if o.role == "reference"), None)
    for index, other in enumerate([*overlays, *([reference] if reference else [])]):
        heights = normalised(bar_heights(other.y, edges, log_y=options.log_y), options.normalise)
        step = reference_step(pack_rows(edges_centres(edges), heights))
        series.append(style_series(step, other, index, kind="histogram"))
    option = with_legend({**option, "series": series})
    if options.reference_plot == "none" or reference is None:
        return PanelContent("ready", without_reference(option, options.reference_plot, target))
    how = options.reference_plot
    points = (edges_centres(edges), compared_bins(counts, reference.y, edges, options))
    name = sub_series_name(how, target.run, reference.run, interpolated=False)
    return PanelContent("ready", with_reference_plot(option, points, how, name, panel_height=size[1], step=True))


def compared_bins(counts: Array, reference: Array, edges: Array, options: HistogramOptions) -> Array:
    """Per bin of the panel, the shown run's bar (of its ``counts``) against the reference's (as normalised, on a
    linear scale): their difference or ratio, a gap where the reference's bar is empty."""
    run = normalised(counts, options.normalise)
    ref = normalised(bar_heights(reference, edges, log_y=False), options.normalise)
    return compared_to(run, ref, options.reference_plot)


def reference_step(data: str) -> Option:
    """Another run's bars as a step line over the shown run's bars."""
    return {"type": "line", PACKED_KEY: data, "showSymbol": False, "sampling": "none"}


def edges_centres(edges: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    centres: np.ndarray[Any, Any] = (edges[:-1] + edges[1:]) / 2
    return centres


def histogram_csv(data: PanelData, spec: PanelSpec, target: Target, fmt: str) -> Download:
    """The bins of the shown run's histogram (and the reference run's counts in them, and the sub-plot's difference
    or ratio when it draws one), from every stored value."""
    options = spec.options_as(HistogramOptions)
    observable = data.observables(spec.observables)[spec.observables[0]]
    values = data.value(observable, target.run)
    edges, counts = compute_histogram(values, bins=options.bins, bin_width=options.bin_width)
    header = ["bin_low", "bin_high", f"count run {target.run}"]
    columns = [edges[:-1], edges[1:], counts]
    reference = target.compared
    other = None if reference is None else other_values(data, spec, reference)
    if reference is not None and other is not None:
        header.append(f"count reference {reference}")
        columns.append(bar_heights(other[0], edges, log_y=False).astype(np.int64))
        if options.reference_plot != "none":
            name = column_name(options.reference_plot, target.run, reference, interpolated=False)
            normalised_by = "" if options.normalise == "none" else f" of the {NORMALISED_AXIS[options.normalise]}"
            header.append(name + normalised_by)
            columns.append(compared_bins(counts, other[0], edges, options))
    return csv_file(f"{run_stem(spec, target)}.csv", header, aligned(columns))


CHART = ChartType(
    "histogram",
    "Histogram",
    (ObservableKind.ARRAY1D,),
    (4, 4),
    HistogramOptions,
    load_histogram,
    takes_reference=True,
    download=histogram_csv,
)
