"""Data of the panels across runs (trend, correlation) over the dashboard's run range, downsampled on the server."""

from __future__ import annotations

import logging
import re

import numpy as np

from alpaca_dash.content.charts.common import axis_name
from alpaca_dash.content.charts.trend import build_correlation_option, build_trend_option
from alpaca_dash.content.downsample import downsample_line, points_for_width, thin_points
from alpaca_dash.content.load import PanelContent
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.domain import INT32_LIMIT, ObservableKind
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observables import UnknownObservable, find_observables
from alpaca_dash.queries.trends import Trend, correlate, load_run_times, load_trend
from alpaca_dash.run_range import RunRange, RunRangeError, check_run_range, parse_run_range

log = logging.getLogger(__name__)

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


def _without_bad(trend: Trend) -> Trend:
    keep = trend.good
    return Trend(trend.observable, trend.statistic, trend.runs[keep], trend.values[keep], trend.good[keep])


def _downsampled(trend: Trend, width: int) -> Trend:
    index, _ = downsample_line(trend.values, points_for_width(width))
    index = np.asarray(index)
    return Trend(trend.observable, trend.statistic, trend.runs[index], trend.values[index], trend.good[index])


def load_across_runs(access: DataAccess, spec: PanelSpec, runs: RunRange, size: tuple[int, int]) -> PanelContent:
    """A trend or correlation panel over ``runs`` at ``size``; never raises (errors become the panel's message)."""
    try:
        names = [*spec.observables, *([spec.x] if spec.x else [])]
        found = {item.name: item for item in find_observables(access, names)}
        y_obs = found[spec.observables[0]]
        options = spec.options
        statistic = None if y_obs.kind is ObservableKind.SCALAR else (options.statistic or "mean")
        trend = load_trend(access, y_obs, runs.first, runs.last, statistic=statistic)
        if options.hide_bad:
            trend = _without_bad(trend)
        y_name = axis_name(y_obs.name, options.unit or y_obs.unit) + (f" ({statistic})" if statistic else "")
        if spec.type == "correlation":
            x_obs = found[spec.x or ""]
            if x_obs.kind is not ObservableKind.SCALAR or y_obs.kind is not ObservableKind.SCALAR:
                raise ValueError("a correlation panel shows one scalar against another")
            pairs = correlate(load_trend(access, x_obs, runs.first, runs.last), trend)
            if len(pairs.runs) == 0:
                return PanelContent("nodata", message=f"No runs with both values in {runs}")
            index = thin_points(np.arange(pairs.runs.size), pairs.runs, 4 * points_for_width(size[0]))[0]
            option = build_correlation_option(
                pairs.runs[index], pairs.x_values[index], pairs.y_values[index], pairs.good[index],
                x_name=axis_name(x_obs.name, x_obs.unit), y_name=y_name,
            )  # fmt: skip
            return PanelContent("ready", option)
        if len(trend) == 0:
            return PanelContent("nodata", message=f"No values in runs {runs}")
        trend = _downsampled(trend, size[0])
        times = load_run_times(access, trend.runs) if options.trend_x == "time" else None
        option = build_trend_option(
            trend.runs, trend.values, trend.good, times=times, hide_bad=options.hide_bad, y_name=y_name
        )
        return PanelContent("ready", option)
    except (UnknownObservable, RunRangeError, ValueError) as exc:
        return PanelContent("error", message=str(exc))
    except Exception as exc:
        log.warning("panel %s (%s) failed for runs %s: %s", spec.id, spec.type, runs, exc)
        return PanelContent("error", message=f"{type(exc).__name__}: {exc}")
