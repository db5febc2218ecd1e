"""The dashboard's reference run drawn over line and histogram panels, as a second, dashed series.

Image panels show it too, beside or subtracted from the run's image (``image_compare``).
"""

from __future__ import annotations

import copy
import logging

from alpaca_dash.content.charts.common import Option
from alpaca_dash.content.charts.packed import PACKED_KEY
from alpaca_dash.content.data import PanelData
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.types import Array

log = logging.getLogger(__name__)

REFERENCE_COLOR = "#9e9e9e"


def reference_series(kind: str, run: int, data: str) -> Option:
    """The reference run's series: grey and dashed, a step line over histogram bars."""
    series: Option = {
        "type": "line",
        "name": f"reference run {run}",
        PACKED_KEY: data,
        "showSymbol": False,
        "lineStyle": {"width": 1, "type": "dashed", "color": REFERENCE_COLOR},
        "itemStyle": {"color": REFERENCE_COLOR},
        "z": 1,
    }
    if kind == "histogram":
        series["step"] = "middle"
    return series


def add_reference(option: Option, series: Option) -> Option:
    """A copy of ``option`` with the reference series after the panel's own, and a legend naming both."""
    merged = copy.copy(option)
    merged["series"] = [*option.get("series", []), series]
    merged["legend"] = {"show": True, "top": 0, "right": 8, "data": [series["name"]]}
    return merged


def reference_values(data: PanelData, spec: PanelSpec, run: int) -> tuple[Array, Array | None] | None:
    """The reference run's y (and x, for panels that have one), or None when it has none or cannot be read: the
    panel itself is fine then, only the overlay is missing."""
    try:
        found = data.observables([spec.observables[0], *([spec.x] if spec.x else [])])
        y = data.other_run_value(found[spec.observables[0]], run)
        x = data.other_run_value(found[spec.x], run) if spec.x else None
    except Exception as exc:
        log.warning("reference run %d of panel %s failed: %s", run, spec.id, exc)
        return None
    return None if y is None else (y, x)
