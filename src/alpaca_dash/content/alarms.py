"""Warn and alarm bounds of the chart types that have them: the level of the shown run's value, and the summary."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

from alpaca_dash.content.data import PanelContent
from alpaca_dash.content.options import BoundedOptions
from alpaca_dash.content.spec import PanelSpec

Level = Literal["ok", "warn", "alarm"]
LEVEL_COLORS: dict[str, str] = {"warn": "orange", "alarm": "negative"}


def classify_level(value: float | None, options: BoundedOptions) -> Level | None:
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


def panel_level(spec: PanelSpec, content: PanelContent) -> Level | None:
    """The level of the value a panel shows; None when its type has no bounds, none are set, or it shows none."""
    options = spec.options
    if not isinstance(options, BoundedOptions) or not options.has_bounds() or content.state != "ready":
        return None
    return classify_level(content.value, options)


def summarise_levels(levels: Mapping[str, Level | None], titles: Mapping[str, str]) -> tuple[str, str]:
    """The summary badge's text and tooltip: how many panels are in alarm (or warn), and which."""
    alarms = [titles.get(k, k) for k, v in levels.items() if v == "alarm"]
    warns = [titles.get(k, k) for k, v in levels.items() if v == "warn"]
    if alarms:
        return f"{len(alarms)} in alarm", ", ".join(alarms + warns)
    if warns:
        return f"{len(warns)} warning", ", ".join(warns)
    return "", ""
