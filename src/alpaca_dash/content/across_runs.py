"""What the panels across runs (trend, correlation) share: the run range they cover and the runs they leave out."""

from __future__ import annotations

import re

from alpaca_dash.content.charts.common import axis_name
from alpaca_dash.content.data import Target
from alpaca_dash.domain import INT32_LIMIT, Observable, Statistic, Trend
from alpaca_dash.run_range import RunRange, check_run_range, parse_run_range

DEFAULT_RUNS = "last200"
RUN_PRESETS: dict[str, str] = {
    "last50": "Last 50 runs",
    "last200": "Last 200 runs",
    "last1000": "Last 1000 runs",
}
_LAST = re.compile(r"^last(\d{1,7})$")


def resolve_runs(text: str | None, run: int | None, *, max_runs: int) -> RunRange:
    """The runs a trend covers: ``lastN`` ends at the shown run (N run numbers), ``a-b`` is fixed.

    :raises RunRangeError: for anything else, or a range over ``max_runs``.
    """
    text = (text or DEFAULT_RUNS).strip()
    match = _LAST.match(text)
    if match is not None:
        count = min(int(match.group(1)), max_runs)
        end = run if run is not None else INT32_LIMIT - 1
        return check_run_range(max(0, end - count + 1), end, max_runs=max_runs)
    return parse_run_range(text, max_runs=max_runs)


def run_range_of(target: Target) -> RunRange:
    """The run range a panel across runs is drawn for. :raises ValueError: when the target has none."""
    if target.runs is None:
        raise ValueError("a panel across runs needs a run range")
    return target.runs


def without_bad(trend: Trend) -> Trend:
    keep = trend.good
    return Trend(trend.observable, trend.statistic, trend.runs[keep], trend.values[keep], trend.good[keep])


def trend_y_name(observable: Observable, unit: str, statistic: Statistic | None) -> str:
    """The y axis of a trend: the observable's short name and unit, and the statistic of an array."""
    return axis_name(observable.name, unit or observable.unit) + (f" ({statistic})" if statistic else "")
