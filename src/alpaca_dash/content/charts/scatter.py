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
from alpaca_dash.content.registry import ChartType, XObservable
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.domain import ObservableKind


class ScatterOptions(ChartOptions):
    unit: Unit = ""


def build_scatter_option(x: ArrayLike, y: ArrayLike, *, x_name: str = "index", y_name: str = "") -> Option:
    """Points without lines, for y against an x that is not ordered."""
    option = base_option()
    option.update(xy_axes(x_name, y_name))
    option["tooltip"] = {"trigger": "item", "confine": True}
    option["series"] = [{"type": "scatter", PACKED_KEY: pack_rows(x, y), "symbolSize": 3, "large": True}]
    return option


def load_scatter(data: PanelData, spec: PanelSpec, target: Target, size: Size) -> PanelContent:
    found = data.observables([spec.observables[0], *([spec.x] if spec.x else [])])
    y = data.value(found[spec.observables[0]], target.run)
    x = data.value(found[spec.x], target.run) if spec.x else np.arange(y.size)
    n = min(x.size, y.size)
    xs, ys = thin_points(x[:n], y[:n], 4 * points_for_width(size[0]))
    x_name, y_name = axis_names(data, spec, spec.options_as(ScatterOptions).unit)
    return PanelContent("ready", build_scatter_option(xs, ys, x_name=x_name, y_name=y_name))


CHART = ChartType(
    "scatter",
    "Scatter",
    (ObservableKind.ARRAY1D,),
    (6, 4),
    ScatterOptions,
    load_scatter,
    x=XObservable(ObservableKind.ARRAY1D, "x (another 1D of the same run; empty: sample index)"),
    download=samples_csv,
)
