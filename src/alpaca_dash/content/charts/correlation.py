"""The correlation panel: one scalar against another, a point per run over the dashboard's run range."""

from __future__ import annotations

import numpy as np

from alpaca_dash.content.across_runs import run_range_of
from alpaca_dash.content.charts.common import ArrayLike, Option, axis_name, base_option, number_axis
from alpaca_dash.content.charts.packed import PACKED_KEY, pack_rows
from alpaca_dash.content.charts.trend import BAD_COLOR
from alpaca_dash.content.data import Download, NoData, PanelContent, PanelData, Size, Target
from alpaca_dash.content.downloads import aligned, csv_file, file_stem
from alpaca_dash.content.downsample import points_for_width, thin_points
from alpaca_dash.content.options import ChartOptions, Unit
from alpaca_dash.content.overlay import SHOWN_COLOR
from alpaca_dash.content.registry import ChartType, XObservable
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.domain import ObservableKind, correlate


class CorrelationOptions(ChartOptions):
    unit: Unit = ""


#: a point's run and its two values (``static/charts.js``)
CORRELATION_TOOLTIP = "alpaca.correlationTooltip"


def build_correlation_option(
    runs: ArrayLike, x: ArrayLike, y: ArrayLike, good: ArrayLike, *, x_name: str = "", y_name: str = ""
) -> Option:
    """One point per run, y against x; hovering shows the run number. Bad runs are drawn in red."""
    run_array, x_array, y_array = np.asarray(runs), np.asarray(x), np.asarray(y)
    ok = np.asarray(good, dtype=bool)
    option = base_option()
    option.update(
        {
            "xAxis": number_axis(x_name, nameLocation="middle", nameGap=24),
            "yAxis": number_axis(y_name, nameTextStyle={"align": "left"}),
            "tooltip": {"trigger": "item", "confine": True, ":formatter": CORRELATION_TOOLTIP},
        }
    )
    option["series"] = [
        {
            "type": "scatter",
            "name": "good runs",
            "symbolSize": 5,
            PACKED_KEY: pack_rows(x_array[ok], y_array[ok], run_array[ok]),
        },
        {
            "type": "scatter",
            "name": "bad runs",
            "symbolSize": 5,
            "itemStyle": {"color": BAD_COLOR},
            PACKED_KEY: pack_rows(x_array[~ok], y_array[~ok], run_array[~ok]),
        },
    ]
    return option


def load_correlation(data: PanelData, spec: PanelSpec, target: Target, size: Size) -> PanelContent:
    runs = run_range_of(target)
    found = data.observables([spec.observables[0], spec.x or ""])
    y_obs, x_obs = found[spec.observables[0]], found[spec.x or ""]
    if x_obs.kind is not ObservableKind.SCALAR or y_obs.kind is not ObservableKind.SCALAR:
        raise ValueError("a correlation panel shows one scalar against another")
    pairs = correlate(data.trend(x_obs, runs, None), data.trend(y_obs, runs, None))
    if len(pairs.runs) == 0:
        raise NoData(f"No runs with both values in {runs}")
    index = thin_points(np.arange(pairs.runs.size), pairs.runs, 4 * points_for_width(size[0]))[0]
    y_name = axis_name(y_obs.name, spec.options_as(CorrelationOptions).unit or y_obs.unit)
    option = build_correlation_option(
        pairs.runs[index], pairs.x_values[index], pairs.y_values[index], pairs.good[index],
        x_name=axis_name(x_obs.name, x_obs.unit), y_name=y_name,
    )  # fmt: skip
    at = np.flatnonzero(pairs.runs == target.run)
    if at.size:  # the shown run stands out, on top of the others
        i = int(at[0])
        option["series"].append({
            "type": "scatter", "name": f"run {target.run}", "symbolSize": 11, "z": 5,
            "itemStyle": {"color": SHOWN_COLOR, "borderColor": "#fff", "borderWidth": 1},
            PACKED_KEY: pack_rows(pairs.x_values[i : i + 1], pairs.y_values[i : i + 1], pairs.runs[i : i + 1]),
        })  # fmt: skip
    return PanelContent("ready", option)


def correlation_csv(data: PanelData, spec: PanelSpec, target: Target, fmt: str) -> Download:
    """Every run of the range with both values, and whether it is good."""
    runs = run_range_of(target)
    found = data.observables([spec.observables[0], spec.x or ""])
    y_obs, x_obs = found[spec.observables[0]], found[spec.x or ""]
    pairs = correlate(data.trend(x_obs, runs, None), data.trend(y_obs, runs, None))
    stem = f"{file_stem(y_obs.name)}_runs{runs.first}-{runs.last}"
    columns = [pairs.runs, pairs.x_values, pairs.y_values, pairs.good]
    return csv_file(f"{stem}.csv", ["run", x_obs.name, y_obs.name, "good"], aligned(columns))


CHART = ChartType(
    "correlation",
    "Scalar vs scalar across runs",
    (ObservableKind.SCALAR,),
    (4, 4),
    CorrelationOptions,
    load_correlation,
    across_runs=True,
    x=XObservable(ObservableKind.SCALAR, "x (a scalar)", required=True),
    download=correlation_csv,
)
