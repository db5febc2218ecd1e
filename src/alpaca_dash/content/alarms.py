"""Warn and alarm bounds of stat and trend panels: the level of the shown run's value, and the page's summary."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

from alpaca_dash.content.charts.packed import series_data
from alpaca_dash.content.spec import PanelOptions, PanelSpec
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observables import find_observables
from alpaca_dash.queries.values import load_value

Level = Literal["ok", "warn", "alarm"]
#: panel types whose bounds are checked
WITH_BOUNDS = ("stat", "trend")
LEVEL_COLORS: dict[str, str] = {"warn": "orange", "alarm": "negative"}


def has_bounds(options: PanelOptions) -> bool:
    return any(v is not None for v in (options.warn_low, options.warn_high, options.alarm_low, options.alarm_high))


def classify_level(value: float | None, options: PanelOptions) -> Level | None:
    """``alarm`` outside the alarm bounds, ``warn`` outside the warn bounds, else ``ok``; None without a value."""
    if value is None or not math.isfinite(value):
        return None
    if (options.alarm_low is not None and value < options.alarm_low) or (
        options.alarm_high is not None and value > options.alarm_high
    ):
        return "alarm"
    if (options.warn_low is not None and value < options.warn_low) or (
        options.warn_high is not None and value > options.warn_high
    ):
        return "warn"
    return "ok"


def trend_value(option: Mapping[str, Any], run: int) -> float | None:
    """The shown run's value in a trend option (points are ``[x, y, run]``)."""
    for series in option.get("series", []):
        for point in series_data(series):
            if len(point) == 3 and point[2] == run:
                return None if point[1] is None else float(point[1])
    return None


def load_level(access: DataAccess, spec: PanelSpec, run: int, option: Mapping[str, Any] | None) -> Level | None:
    """The level of ``spec``'s value for ``run``; None when the panel has no bounds or no value."""
    if spec.type not in WITH_BOUNDS or not has_bounds(spec.options):
        return None
    if spec.type == "trend":
        return classify_level(trend_value(option or {}, run), spec.options)
    (observable,) = find_observables(access, spec.observables[:1])
    value = load_value(access, observable, run)
    if value is None or value.size != 1:
        return None
    return classify_level(float(value.item()), spec.options)


def summarise_levels(levels: Mapping[str, Level | None], titles: Mapping[str, str]) -> tuple[str, str]:
    """The summary badge's text and tooltip: how many panels are in alarm (or warn), and which."""
    alarms = [titles.get(k, k) for k, v in levels.items() if v == "alarm"]
    warns = [titles.get(k, k) for k, v in levels.items() if v == "warn"]
    if alarms:
        return f"{len(alarms)} in alarm", ", ".join(alarms + warns)
    if warns:
        return f"{len(warns)} warning", ", ".join(warns)
    return "", ""
