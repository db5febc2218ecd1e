"""The trend panel: a scalar, or a statistic of an array, per run over the dashboard's run range."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from alpaca_dash.content.across_runs import run_range_of, trend_y_name, without_bad
from alpaca_dash.content.charts.common import GRID_LINES, RUN_LABEL, ArrayLike, Option, base_option, number_axis
from alpaca_dash.content.charts.packed import PACKED_KEY, pack_rows
from alpaca_dash.content.data import Download, NoData, PanelContent, PanelData, Size, Target
from alpaca_dash.content.downloads import aligned, csv_file, file_stem
from alpaca_dash.content.downsample import downsample_line, points_for_width
from alpaca_dash.content.options import BoundedOptions, Unit
from alpaca_dash.content.overlay import SHOWN_COLOR
from alpaca_dash.content.registry import ChartType
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.domain import Observable, ObservableKind, Statistic, Trend
from alpaca_dash.types import Array

BAD_COLOR = "#d32f2f"
#: the tooltip of the runs under the pointer: each run's number and value (``static/charts.js``)
TREND_TOOLTIP = "alpaca.trendTooltip"
NOTE_COLOR = "#8e24aa"
#: at most this many runs' comments and tags are drawn on a trend
MAX_NOTES = 200


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
    shown: tuple[int, float] | None = None,
    notes: Mapping[int, str] | None = None,
    without_time: int | None = None,
) -> Option:
    """A line of one value per run; runs marked bad are left out (``hide_bad``) or drawn as red points.

    :param times: the runs' start times (datetime64) for a time x axis; None puts the run number on x.
    :param shown: the shown run and its x (its number, or its start time in ms): marked by a vertical line.
    :param notes: runs' comments and tags, drawn as pins on their points; the tooltip says them.
    :param without_time: on a time axis, how many of the range's runs have no start time (and so no place on it);
        counted from ``times`` when not given. The panel says so rather than leaving them out without a word.
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
    if shown is not None:
        option["series"][0]["markLine"] = shown_run_line(*shown)
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
    pins = note_series(notes or {}, run_array, xs, y)
    if pins is not None:  # last, so that the runs' own series keep their places
        option["series"].append(pins)
    if time_array is not None:
        missing = (
            int(np.isnat(np.asarray(time_array, dtype="datetime64[ms]")).sum())
            if without_time is None
            else without_time
        )
        if missing:
            option["graphic"] = {"elements": [untimed_note(missing)]}
    return option


def untimed_note(count: int) -> Option:
    """The words on a time axis's panel for the runs it cannot place: they have no start time."""
    runs = "1 run" if count == 1 else f"{count:,} runs"
    text = f"{runs} without a start time not shown (plot against the run number to see them)"
    return {"type": "text", "right": 8, "top": 2, "silent": True,
            "style": {"text": text, "fill": "#757575", "fontSize": 11}}  # fmt: skip


def note_series(notes: Mapping[int, str], runs: Array, xs: Array, y: Array) -> Option | None:
    """Pins on the points of the runs with a comment or tags (few: plain data items, each with its ``note``); None
    when none of them is drawn."""
    where = {int(run): i for i, run in enumerate(runs.tolist())}
    items = [
        {"value": [float(xs[where[run]]), float(y[where[run]]), run], "note": text}
        for run, text in sorted(notes.items())
        if run in where and np.isfinite(y[where[run]]) and np.isfinite(xs[where[run]])
    ]
    if not items:
        return None
    return {"type": "scatter", "name": "notes", "symbol": "pin", "symbolSize": 16, "z": 4,
            "itemStyle": {"color": NOTE_COLOR}, "data": items}  # fmt: skip


def shown_run_line(run: int, x: float) -> Option:
    """A vertical line at the shown run, labelled with its number."""
    return {
        "silent": True,
        "symbol": "none",
        "animation": False,
        "lineStyle": {"color": SHOWN_COLOR, "width": 1.5, "type": "solid"},
        "label": {"formatter": f"run {run}", "position": "insideEndTop", "color": SHOWN_COLOR},
        "data": [{"xAxis": x}],
    }


TrendAxis = Literal["run", "time"]


class TrendOptions(BoundedOptions):
    unit: Unit = ""
    #: of an array (None for a scalar, and the mean when an array's panel names none)
    statistic: Statistic | None = None
    trend_x: TrendAxis = "run"
    hide_bad: bool = False
    #: only the runs carrying this tag ("" for every run)
    tag: Annotated[str, Field(max_length=40)] = ""


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
    if options.tag.strip():
        tag = options.tag.strip()
        trend = only_runs(trend, data.run_numbers(within=runs, tag=tag, limit=len(runs)))
        if len(trend) == 0:
            raise NoData(f"No runs of {runs} are tagged {tag!r}")
    if len(trend) == 0:
        raise NoData(f"No values in runs {runs}")
    value = shown_value(data, observable, trend, target.run)
    every_time = data.run_times(trend.runs) if options.trend_x == "time" else None
    every_run = trend.runs
    trend = downsampled(trend, size[0])
    times = None
    if every_time is not None:  # the thinned runs' times; the runs without one counted over the whole range
        order = np.argsort(every_run, kind="stable")
        times = every_time[order[np.searchsorted(every_run, trend.runs, sorter=order)]]
    option = build_trend_option(
        trend.runs,
        trend.values,
        trend.good,
        times=times,
        hide_bad=options.hide_bad,
        y_name=trend_y_name(observable, options.unit, statistic),
        shown=shown_x(data, target.run, options.trend_x),
        notes=data.run_notes(runs, limit=MAX_NOTES),
        without_time=None if every_time is None else int(np.isnat(every_time).sum()),
    )
    return PanelContent("ready", option, value=value)


def shown_x(data: PanelData, run: int, axis: TrendAxis) -> tuple[int, float] | None:
    """Where the shown run is on the trend's x axis (None: a time axis and a run without a start time)."""
    if axis == "run":
        return run, float(run)
    x = _x_values(np.array([run]), data.run_times(np.array([run])))[0]
    return (run, float(x)) if np.isfinite(x) else None


def only_runs(trend: Trend, runs: list[int]) -> Trend:
    """The trend's points of ``runs`` only."""
    keep = np.isin(trend.runs, np.asarray(runs, dtype=trend.runs.dtype))
    return Trend(trend.observable, trend.statistic, trend.runs[keep], trend.values[keep], trend.good[keep])


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
