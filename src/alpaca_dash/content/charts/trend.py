"""Panels across runs: a trend (value per run, against run number or start time) and scalar-vs-scalar."""

from __future__ import annotations

import numpy as np

from alpaca_dash.content.charts.common import GRID_LINES, RUN_LABEL, ArrayLike, Option, base_option, number_axis
from alpaca_dash.content.charts.packed import PACKED_KEY, pack_rows
from alpaca_dash.types import Array

BAD_COLOR = "#d32f2f"
#: the tooltip of the runs under the pointer: each run's number and value (``static/charts.js``)
TREND_TOOLTIP = "alpaca.trendTooltip"


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


#: the tooltip of a correlation point: its run and both values
#: a point's run and its two values
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
