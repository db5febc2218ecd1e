"""The waveform / line panel: y against the sample index or another 1D observable; other runs and the reference."""

from __future__ import annotations

from alpaca_dash.content.charts.common import ArrayLike, Option, axis_name, base_option, number_axis, zoomed_to
from alpaca_dash.content.charts.packed import PACKED_KEY, pack_rows
from alpaca_dash.content.data import PanelContent, PanelData, Size, Target
from alpaca_dash.content.downloads import samples_csv
from alpaca_dash.content.downsample import downsample_line, points_for_width
from alpaca_dash.content.options import Unit
from alpaca_dash.content.overlay import Overlay, RunValues, compared_values, style_series, with_legend
from alpaca_dash.content.reference_plot import (
    ReferencePlot,
    ReferencePlotOptions,
    compared_to,
    reference_at,
    sub_series_name,
    with_reference_plot,
    without_reference,
    x_extent,
)
from alpaca_dash.content.registry import ChartType, XObservable
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.content.zoom import Zoom, detail_points, with_detail
from alpaca_dash.domain import ObservableKind
from alpaca_dash.types import Array


class LineOptions(ReferencePlotOptions):
    unit: Unit = ""
    overlay: Overlay | None = None


def xy_axes(x_name: str, y_name: str) -> Option:
    return {
        "xAxis": number_axis(x_name, nameLocation="middle", nameGap=24),
        "yAxis": number_axis(y_name, nameTextStyle={"align": "left"}),
    }


def build_line_option(x: ArrayLike, y: ArrayLike, *, x_name: str = "index", y_name: str = "") -> Option:
    """A line of already downsampled points, zoomable with the mouse wheel."""
    option = base_option()
    option.update(xy_axes(x_name, y_name))
    option["dataZoom"] = [{"type": "inside", "xAxisIndex": 0}]
    option["series"] = [
        {
            "type": "line",
            PACKED_KEY: pack_rows(x, y),
            "showSymbol": False,
            "lineStyle": {"width": 1},
            "sampling": "none",
            "connectNulls": False,
        }
    ]
    return option


def axis_names(data: PanelData, spec: PanelSpec, unit: str) -> tuple[str, str]:
    """The x and y axis names of a panel of y against an optional x."""
    found = data.observables([spec.observables[0], *([spec.x] if spec.x else [])])
    x_name = axis_name(spec.x, found[spec.x].unit) if spec.x else "index"
    y = found[spec.observables[0]]
    return x_name, axis_name(y.name, unit or y.unit or "")


def load_line(data: PanelData, spec: PanelSpec, target: Target, size: Size) -> PanelContent:
    options = spec.options_as(LineOptions)
    found = data.observables([spec.observables[0], *([spec.x] if spec.x else [])])
    y = data.value(found[spec.observables[0]], target.run)
    x = data.value(found[spec.x], target.run) if spec.x else None
    x_name, y_name = axis_names(data, spec, options.unit)
    points = points_for_width(size[0])
    option = build_line_option(*line_points(y, x, points, target.zoom), x_name=x_name, y_name=y_name)
    if target.zoom is not None:
        option["dataZoom"] = [zoomed_to(target.zoom.x, xAxisIndex=0)]
    others = compared_values(data, spec, target, options.overlay)
    if not others:
        return PanelContent("ready", without_reference(option, options.reference_plot, target))
    line = option["series"][0]
    series = [style_series(line, RunValues(target.run, "shown", y, x), 0, kind="line")]
    overlays = [o for o in others if o.role == "overlay"]
    reference = next((o for o in others if o.role == "reference"), None)
    # the other runs at one point per pixel (MinMaxLTTB keeps their peaks): thin lines under the shown run's, and
    # half the data for the browser to unpack and draw on every run switch
    thin = max(points // 2, 16)
    drawn_x = []
    for index, other in enumerate([*overlays, *([reference] if reference else [])]):
        other_x, other_y = line_points(other.y, other.x, thin, target.zoom)
        drawn_x.append(other_x)
        series.append(style_series({**line, PACKED_KEY: pack_rows(other_x, other_y)}, other, index, kind="line"))
    option = with_legend({**option, "series": series})
    if options.reference_plot == "none" or reference is None:
        return PanelContent("ready", without_reference(option, options.reference_plot, target))
    how = options.reference_plot
    sub_points, interpolated = difference_points(y, x, reference, how, points, target.zoom)
    name = sub_series_name(how, target.run, reference.run, interpolated=interpolated)
    extent = x_extent(sub_points[0], *drawn_x)
    drawn = with_reference_plot(option, sub_points, how, name, panel_height=size[1], extent=extent)
    return PanelContent("ready", drawn)


def difference_points(
    y: Array, x: Array | None, reference: RunValues, how: ReferencePlot, points: int, zoom: Zoom | None
) -> tuple[tuple[Array, Array], bool]:
    """The sub-plot's points: the shown run against the reference at every sample of the run, drawn as a line (at
    full resolution in the zoom), and whether the reference was interpolated onto the run's x."""
    n = y.size if x is None else min(y.size, x.size)
    run_x = None if x is None else x[:n]
    ref, interpolated = reference_at(n, run_x, reference.y, reference.x)
    return line_points(compared_to(y[:n], ref, how), run_x, points, zoom), interpolated


def line_points(y: Array, x: Array | None, points: int, zoom: Zoom | None) -> tuple[Array, Array]:
    """The line's points for the panel: downsampled over the whole array, and at full resolution in the zoom."""
    overview = downsample_line(y, points, x)
    if zoom is None:
        return overview
    return with_detail(overview, detail_points(y, x, zoom.x, points), zoom.x)


CHART = ChartType(
    "line",
    "Waveform / line",
    (ObservableKind.ARRAY1D,),
    (6, 4),
    LineOptions,
    load_line,
    takes_reference=True,
    x=XObservable(ObservableKind.ARRAY1D, "x (another 1D of the same run; empty: sample index)"),
    download=samples_csv,
    zooms=True,
)
