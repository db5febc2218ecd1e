"""The dashboard's reference run drawn over line and histogram panels, as a second, dashed series.

Image panels show it too, beside or subtracted from the run's image (``image_data``).
"""

from __future__ import annotations

import copy
import logging

import numpy as np

from alpaca_dash.content.charts.common import Option
from alpaca_dash.content.charts.histogram import histogram_edges
from alpaca_dash.content.charts.packed import PACKED_KEY, pack_rows
from alpaca_dash.content.downsample import downsample_line, points_for_width
from alpaca_dash.content.load import Loader
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.content.value_cache import ValueCache
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observables import find_observables
from alpaca_dash.types import Array

log = logging.getLogger(__name__)

REFERENCE_COLOR = "#9e9e9e"
#: panel types drawn with the reference run as a second series over their own
WITH_OVERLAY = ("line", "histogram")
#: panel types that can show a reference run (drawn again when it is pinned)
WITH_REFERENCE = (*WITH_OVERLAY, "image")


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


def build_reference_data(spec: PanelSpec, option: Option, y: Array, x: Array | None, width: int) -> str:
    """The reference run's packed points for a panel already drawn with ``option`` (so histograms share its bins)."""
    if spec.type == "histogram":
        edges = histogram_edges(option)
        finite = y[np.isfinite(y)] if y.dtype.kind == "f" else y
        counts = np.histogram(finite, bins=edges)[0].astype(np.float64)
        if spec.options.log_y:
            counts[counts <= 0] = np.nan
        return pack_rows((edges[:-1] + edges[1:]) / 2, counts)
    xs, ys = downsample_line(y, points_for_width(width), x)
    return pack_rows(xs, ys)


def load_reference(
    access: DataAccess, spec: PanelSpec, run: int, option: Option, width: int, *, cache: ValueCache | None = None
) -> Option:
    """``option`` with the reference run drawn over it; unchanged when the reference run has no value.

    :param cache: the values shared by panels: the reference run's are read once, not on every run switch.
    """
    try:
        names = [spec.observables[0], *([spec.x] if spec.x else [])]
        found = {item.name: item for item in find_observables(access, names)}
        loader = Loader(access, cache)
        y = loader.other_run_value(found[spec.observables[0]], run)
        x = loader.other_run_value(found[spec.x], run) if spec.x else None
        if y is None:
            return option
        return add_reference(option, reference_series(spec.type, run, build_reference_data(spec, option, y, x, width)))
    except Exception as exc:  # the panel itself is fine; only the overlay is missing
        log.warning("reference run %d of panel %s failed: %s", run, spec.id, exc)
        return option
