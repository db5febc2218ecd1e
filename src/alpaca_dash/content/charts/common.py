"""Pieces shared by the option builders: axis names, readable axis numbers, the base option."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

Option = dict[str, Any]
#: the sign of a difference as labels write it (not the hyphen)
MINUS = "\N{MINUS SIGN}"
ArrayLike = Iterable[Any] | np.ndarray[Any, Any]


def axis_name(name: str, unit: str | None) -> str:
    """The last part of an observable name with its unit, e.g. ``V [V]``."""
    short = name.split("*")[-1] if name else ""
    return f"{short} [{unit}]" if unit else short


#: axis numbers as people read them: exponents for the very small and the very large (``static/charts.js``)
NUMBER_LABEL = "alpaca.numberLabel"


#: grid lines that are faint on a light panel and on a dark one alike (ECharts' default is near white: glaring in the
#: dark theme, where the charts are drawn on the panel's dark background)
GRID_LINES: Option = {"lineStyle": {"color": "rgba(128, 128, 128, 0.25)"}}
#: run numbers as people write them: whole, without exponent or thousands separators
RUN_LABEL = "alpaca.runLabel"


def number_axis(name: str, *, labels: str = NUMBER_LABEL, **extra: Any) -> Option:
    """A value axis with readable labels, its line at the edge of the plot (not through the other axis' zero)."""
    return {
        "type": "value",
        "name": name,
        "scale": True,
        "axisLabel": {":formatter": labels},
        "axisLine": {"onZero": False},
        "splitLine": GRID_LINES,
        **extra,
    }


def base_option(*, animation: bool = False) -> Option:
    """Settings every chart shares: no animation (panels repaint per run), a compact grid, a tooltip."""
    return {
        "animation": animation,
        "grid": {"left": 56, "right": 16, "top": 28, "bottom": 40, "containLabel": False},  # top: the y name
        "tooltip": {"trigger": "axis", "confine": True},
    }


def zoomed_to(span: tuple[float, float], **axes: Any) -> Option:
    """An inside data zoom over ``axes`` (``xAxisIndex=0``) showing ``span``: a zoomed panel redrawn stays zoomed."""
    return {"type": "inside", **axes, "startValue": span[0], "endValue": span[1]}
