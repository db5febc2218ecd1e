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


#: the level a stored check state shows as: a check that could not tell (error) warns, no data shows nothing
STORED_LEVELS: dict[str, Level | None] = {"ok": "ok", "warn": "warn", "alarm": "alarm", "error": "warn", "nodata": None}
_RANK = {None: 0, "ok": 1, "warn": 2, "alarm": 3}


def stored_level(spec: PanelSpec, states: Mapping[str, str]) -> tuple[bool, Level | None]:
    """Whether a quality check judged one of the panel's observables in the shown run, and the worst level so.

    :param states: the worst stored check state per observable of the run (``queries.quality.observable_states``).
    """
    found = [STORED_LEVELS.get(states[name]) for name in spec.observables if name in states]
    if not found:
        return False, None
    return True, max(found, key=lambda level: _RANK[level])


def panel_level(spec: PanelSpec, content: PanelContent, states: Mapping[str, str] | None = None) -> Level | None:
    """The level a panel shows: the stored check states of its observables where a check judged them (checks are
    the source of truth), else its own bounds on the value it shows; None when neither applies."""
    if states:
        judged, level = stored_level(spec, states)
        if judged:
            return level
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
