"""The scatter panel: points of y against the sample index or another 1D observable, for an x that is not ordered."""

from __future__ import annotations

import numpy as np

from alpaca_dash.content.charts.common import ArrayLike, Option, base_option
from alpaca_dash.content.charts.line import axis_names, xy_axes
from alpaca_dash.content.charts.packed import PACKED_KEY, pack_rows
from alpaca_dash.content.data import PanelContent, PanelData, Size, Target
from alpaca_dash.content.downloads import samples_csv
from alpaca_dash.content.downsample import points_for_width, thin_points
from alpaca_dash.content.options import ChartOptions, Unit
from alpaca_dash.content.overlay import Overlay, RunValues, compared_values, style_series, with_legend
from alpaca_dash.content.registry import ChartType, XObservable
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.domain import ObservableKind
from alpaca_dash.types import Array


class ScatterOptions(ChartOptions):
    unit: Unit = ""
    overlay: Overlay | None = None


def build_scatter_option(x: ArrayLike, y: ArrayLike, *, x_name: str = "index", y_name: str = "") -> Option:
    """Points without lines, for y against an x that is not ordered."""
    option = base_option()
    option.update(xy_axes(x_name, y_name))
    option["tooltip"] = {"trigger": "item", "confine": True}
    option["series"] = [{"type": "scatter", PACKED_KEY: pack_rows(x, y), "symbolSize": 3, "large": True}]
    return option


def load_scatter(data: PanelData, spec: PanelSpec, target: Target, size: Size) -> PanelContent:
    options = spec.options_as(ScatterOptions)
    found = data.observables([spec.observables[0], *([spec.x] if spec.x else [])])
    y = data.value(found[spec.observables[0]], target.run)
    x = data.value(found[spec.x], target.run) if spec.x else None
    points = 4 * points_for_width(size[0])
    x_name, y_name = axis_names(data, spec, options.unit)
    option = build_scatter_option(*thinned(x, y, points), x_name=x_name, y_name=y_name)
    others = compared_values(data, spec, target, options.overlay)
    if not others:
        return PanelContent("ready", option)
    dots = option["series"][0]
    series = [style_series(dots, RunValues(target.run, "shown", y, x), 0, kind="scatter")]
    # the other runs share the panel's points: together they stay about as many as the shown run alone has
    share = max(points // (len(others) + 1), 64)
    for index, other in enumerate(o for o in others if o.role == "overlay"):
        packed = pack_rows(*thinned(other.x, other.y, share))
        series.append(style_series({**dots, PACKED_KEY: packed, "symbolSize": 2}, other, index, kind="scatter"))
    for other in (o for o in others if o.role == "reference"):
        packed = pack_rows(*thinned(other.x, other.y, share))
        series.append(style_series({**dots, PACKED_KEY: packed, "symbolSize": 2}, other, 0, kind="scatter"))
    return PanelContent("ready", with_legend({**option, "series": series}))


def thinned(x: Array | None, y: Array, points: int) -> tuple[Array, Array]:
    """At most about ``points`` of y against x (the sample index when None), of the length both have."""
    xs = np.arange(y.size) if x is None else x
    n = min(xs.size, y.size)
    return thin_points(xs[:n], y[:n], points)


CHART = ChartType(
    "scatter",
    "Scatter",
    (ObservableKind.ARRAY1D,),
    (6, 4),
    ScatterOptions,
    load_scatter,
    takes_reference=True,
    x=XObservable(ObservableKind.ARRAY1D, "x (another 1D of the same run; empty: sample index)"),
    download=samples_csv,
)
