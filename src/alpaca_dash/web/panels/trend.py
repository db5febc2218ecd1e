"""Panels across runs: a trend (value per run, against run number or start time) and scalar-vs-scalar."""

from __future__ import annotations

from typing import Any

import numpy as np

from alpaca_dash.web.panels.common import ArrayLike, Option, base_option, compact, number_axis

BAD_COLOR = "#d32f2f"
Array = np.ndarray[Any, Any]


def _x_values(runs: Array, times: Array | None) -> list[Any]:
    if times is None:
        return [int(run) for run in np.asarray(runs).tolist()]
    millis = np.asarray(times, dtype="datetime64[ms]").astype(np.int64)
    valid = ~np.isnat(np.asarray(times, dtype="datetime64[ms]"))
    return [int(m) if ok else None for m, ok in zip(millis.tolist(), valid.tolist(), strict=True)]


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
    good_array = np.asarray(good, dtype=bool)
    time_array = None if times is None else np.asarray(times)
    y = compact(values)
    xs = _x_values(run_array, time_array)
    kept = [[x, v, int(r)] for x, v, r, ok in zip(xs, y, run_array.tolist(), good_array.tolist(), strict=True) if ok]
    bad = [[x, v, int(r)] for x, v, r, ok in zip(xs, y, run_array.tolist(), good_array.tolist(), strict=True) if not ok]
    option = base_option()
    x_axis = (
        {"type": "time", "name": "run start", "nameLocation": "middle", "nameGap": 24}
        if time_array is not None
        else number_axis("run", nameLocation="middle", nameGap=24, minInterval=1)
    )
    option.update({"xAxis": x_axis, "yAxis": number_axis(y_name, nameTextStyle={"align": "left"})})
    option["dataZoom"] = [{"type": "inside", "xAxisIndex": 0}]
    option["series"] = [
        {
            "type": "line",
            "name": "good runs",
            "data": kept,
            "showSymbol": len(kept) <= 200,
            "symbolSize": 4,
            "lineStyle": {"width": 1},
            "sampling": "none",
            "connectNulls": False,
        }
    ]
    if bad and not hide_bad:
        option["series"].append(
            {"type": "scatter", "name": "bad runs", "data": bad, "symbolSize": 6, "itemStyle": {"color": BAD_COLOR}}
        )
    return option


#: the tooltip of a correlation point: its run and both values
CORRELATION_TOOLTIP_JS = "(p) => 'run ' + p.value[2] + '<br>x ' + p.value[0] + '<br>y ' + p.value[1]"


def build_correlation_option(
    runs: ArrayLike, x: ArrayLike, y: ArrayLike, good: ArrayLike, *, x_name: str = "", y_name: str = ""
) -> Option:
    """One point per run, y against x; hovering shows the run number. Bad runs are drawn in red."""
    run_list = [int(r) for r in np.asarray(runs).tolist()]
    good_list = np.asarray(good, dtype=bool).tolist()
    points = list(zip(compact(x), compact(y), run_list, good_list, strict=True))
    option = base_option()
    option.update(
        {
            "xAxis": number_axis(x_name, nameLocation="middle", nameGap=24),
            "yAxis": number_axis(y_name, nameTextStyle={"align": "left"}),
            "tooltip": {"trigger": "item", "confine": True, ":formatter": CORRELATION_TOOLTIP_JS},
        }
    )
    option["series"] = [
        {"type": "scatter", "name": "good runs", "symbolSize": 5, "data": [[a, b, r] for a, b, r, ok in points if ok]},
        {
            "type": "scatter",
            "name": "bad runs",
            "symbolSize": 5,
            "itemStyle": {"color": BAD_COLOR},
            "data": [[a, b, r] for a, b, r, ok in points if not ok],
        },
    ]
    return option
