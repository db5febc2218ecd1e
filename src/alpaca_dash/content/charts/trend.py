"""The trend panel: a scalar, or a statistic of an array, per run over the dashboard's run range."""

from __future__ import annotations

from typing import Literal

import numpy as np

from alpaca_dash.content.across_runs import run_range_of, trend_y_name, without_bad
from alpaca_dash.content.charts.common import GRID_LINES, RUN_LABEL, ArrayLike, Option, base_option, number_axis
from alpaca_dash.content.charts.packed import PACKED_KEY, pack_rows
from alpaca_dash.content.data import Download, NoData, PanelContent, PanelData, Size, Target
from alpaca_dash.content.downloads import aligned, csv_file, file_stem
from alpaca_dash.content.downsample import downsample_line, points_for_width
from alpaca_dash.content.options import BoundedOptions, Unit
from alpaca_dash.content.registry import ChartType
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.domain import Observable, ObservableKind, Statistic, Trend
from alpaca_dash.types import Array

BAD_COLOR = "#d32f2f"
#: the tooltip of the runs under the pointer: each run's number and value (``static/charts.js``)
TREND_TOOLTIP = "alpaca.trendTooltip"
TREND_TOOLTIP = (
    "(ps) => [].concat(ps).map((p) => p.marker + 'run ' + p.value[2] + ': '"
    " + (p.value[1] === null ? '—' : String(+p.value[1].toPrecision(7)))).join('<br>')"
)


def _x_values(runs: Array, times: Array | None) -> Array:
    """Run numbers, or start times in milliseconds since 1970 (NaN where unknown)."""
    if times is None:
        return runs.astype(np.float64)
    stamps = np.asarray(times, dtype="datetime64[ms]")
    return np.where(np.isnat(stamps), np.nan, stamps.astype(np.int64).astype(np.float64))


def build_trend_option(
    runs: ArrayLike,
    values: ArrayLike,
    good: ArrayLike,
    *,
    times: ArrayLike | None = None,
    hide_bad: bool = False,
    y_name: str = "",
) -> Option:
    """A line of one value per run; runs marked bad are left out (``hide_bad``) or drawn as red points.

    :param times: the runs' start times (datetime64) for a time x axis; None puts the run number on x.
    """
    run_array = np.asarray(runs)
    ok = np.asarray(good, dtype=bool)
    time_array = None if times is None else np.asarray(times)
    y = np.asarray(values, dtype=np.float64)
    xs = _x_values(run_array, time_array)
    kept = int(ok.sum())
    option = base_option()
    x_axis = (
        {"type": "time", "name": "run start", "nameLocation": "middle", "nameGap": 24, "splitLine": GRID_LINES}
        if time_array is not None
        else number_axis("run", labels=RUN_LABEL, nameLocation="middle", nameGap=24, minInterval=1)
    )
    option.update({"xAxis": x_axis, "yAxis": number_axis(y_name, nameTextStyle={"align": "left"})})
    option["tooltip"] = {"trigger": "axis", "confine": True, ":formatter": TREND_TOOLTIP}
    option["dataZoom"] = [{"type": "inside", "xAxisIndex": 0}]
    option["series"] = [
        {
            "type": "line",
            "name": "good runs",
            PACKED_KEY: pack_rows(xs[ok], y[ok], run_array[ok]),
            "showSymbol": kept <= 200,
            "symbolSize": 4,
            "lineStyle": {"width": 1},
            "sampling": "none",
            "connectNulls": False,
        }
    ]
    if kept < ok.size and not hide_bad:
        bad = ~ok
        option["series"].append(
            {
                "type": "scatter",
                "name": "bad runs",
                PACKED_KEY: pack_rows(xs[bad], y[bad], run_array[bad]),
                "symbolSize": 6,
                "itemStyle": {"color": BAD_COLOR},
            }
        )
    return option


TrendAxis = Literal["run", "time"]


class TrendOptions(BoundedOptions):
    unit: Unit = ""
    #: of an array (None for a scalar, and the mean when an array's panel names none)
    statistic: Statistic | None = None
    trend_x: TrendAxis = "run"
    hide_bad: bool = False


def statistic_of(observable: Observable, options: TrendOptions) -> Statistic | None:
    """What the trend follows: a scalar itself, or the array's statistic (its mean when none is chosen)."""
    return None if observable.kind is ObservableKind.SCALAR else (options.statistic or "mean")


def downsampled(trend: Trend, width: int) -> Trend:
    """The trend thinned to the panel's width, keeping each stretch's extremes (MinMaxLTTB)."""
    index = np.asarray(downsample_line(trend.values, points_for_width(width))[0])
    return Trend(trend.observable, trend.statistic, trend.runs[index], trend.values[index], trend.good[index])


def load_trend_panel(data: PanelData, spec: PanelSpec, target: Target, size: Size) -> PanelContent:
    options = spec.options_as(TrendOptions)
    runs = run_range_of(target)
    observable = data.observables(spec.observables)[spec.observables[0]]
    statistic = statistic_of(observable, options)
    trend = data.trend(observable, runs, statistic, width=size[0])
    if options.hide_bad:
        trend = without_bad(trend)
    if len(trend) == 0:
        raise NoData(f"No values in runs {runs}")
    value = shown_value(data, observable, trend, target.run)
    trend = downsampled(trend, size[0])
    times = data.run_times(trend.runs) if options.trend_x == "time" else None
    option = build_trend_option(
        trend.runs,
        trend.values,
        trend.good,
        times=times,
        hide_bad=options.hide_bad,
        y_name=trend_y_name(observable, options.unit, statistic),
    )
    return PanelContent("ready", option, value=value)


def shown_value(data: PanelData, observable: Observable, trend: Trend, run: int) -> float | None:
    """The shown run's value in the trend, which its warn / alarm bounds judge; read on its own when the trend is
    made of rollup buckets (a bucket's min and max are not the run's value)."""
    if trend.bucket_runs == 1:
        found = trend.values[trend.runs == run]
        return float(found[0]) if found.size else None
    try:
        return float(data.value(observable, run).item())
    except NoData:
        return None


def trend_csv(data: PanelData, spec: PanelSpec, target: Target, fmt: str) -> Download:
    """Every run of the range with its value (or statistic), whether it is good: not thinned for the screen."""
    runs = run_range_of(target)
    observable = data.observables(spec.observables)[spec.observables[0]]
    statistic = (
        None if observable.kind is ObservableKind.SCALAR else (spec.options_as(TrendOptions).statistic or "mean")
    )
    trend = data.trend(observable, runs, statistic)
    column = observable.name + (f" ({statistic})" if statistic else "")
    stem = f"{file_stem(observable.name)}_runs{runs.first}-{runs.last}"
    return csv_file(f"{stem}.csv", ["run", column, "good"], aligned([trend.runs, trend.values, trend.good]))


CHART = ChartType(
    "trend",
    "Trend across runs",
    (ObservableKind.SCALAR, ObservableKind.ARRAY1D, ObservableKind.ARRAY2D),
    (6, 4),
    TrendOptions,
    load_trend_panel,
    across_runs=True,
    download=trend_csv,
)
