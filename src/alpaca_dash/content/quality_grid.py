"""The quality page's runs x checks grid as an ECharts heatmap option: newest run on top, the checks that fail most
on the left, one colour per state. Pure: it takes results, not storage."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from alpaca_dash.quality.checks import SEVERITY, CheckState

#: colour of each state (colour-blind-safe: the alarm red and ok green differ in lightness too)
STATE_COLORS: dict[CheckState, str] = {
    CheckState.OK: "#7fbf7b",
    CheckState.NODATA: "#d9d9d9",
    CheckState.WARN: "#fdb863",
    CheckState.ERROR: "#b2abd2",
    CheckState.ALARM: "#d7191c",
}
#: px per run row and per check column
CELL = 14
#: px above the grid: the state legend, then the check names, slanted (as many as fit; hover names every cell)
TOP = 130


def order_checks(cells: Sequence[tuple[int, str, CheckState]]) -> list[str]:
    """Check names, the worst first: by the number of alarms, then errors, then warnings, then by name."""
    tally: dict[str, list[int]] = {}
    for _run, check, state in cells:
        counts = tally.setdefault(check, [0, 0, 0])
        if state in (CheckState.ALARM, CheckState.ERROR, CheckState.WARN):
            counts[(CheckState.ALARM, CheckState.ERROR, CheckState.WARN).index(state)] += 1
    return sorted(tally, key=lambda name: ([-n for n in tally[name]], name))


def build_quality_grid(runs: Sequence[int], cells: Sequence[tuple[int, str, CheckState]]) -> dict[str, Any]:
    """The heatmap of ``cells`` (run, check, state) over ``runs`` (newest first, drawn top to bottom).

    A point's data is ``[check index, run index, severity]``; the page maps a click back to its run.
    """
    checks = order_checks(cells)
    x = {name: i for i, name in enumerate(checks)}
    y = {run: i for i, run in enumerate(runs)}
    data = [[x[check], y[run], SEVERITY[state]] for run, check, state in cells if run in y]
    pieces = [{"value": SEVERITY[state], "label": state.value, "color": color} for state, color in STATE_COLORS.items()]
    states = json.dumps({SEVERITY[state]: state.value for state in STATE_COLORS})
    return {
        "animation": False,
        "grid": {"left": 70, "right": 10, "top": TOP, "bottom": 10, "containLabel": False},
        "tooltip": {"position": "top", ":formatter": f"alpacaQuality.cellTooltip({json.dumps(list(runs))}, {states})"},
        "xAxis": {
            "type": "category",
            "data": checks,
            "position": "top",
            "axisLabel": {"rotate": 35, "fontSize": 10, "width": 150, "overflow": "truncate", "hideOverlap": True},
            "splitArea": {"show": False},
        },
        "yAxis": {
            "type": "category",
            "data": [str(run) for run in runs],
            "inverse": True,
            "axisLabel": {"fontSize": 10},
        },
        "visualMap": {
            "type": "piecewise",
            "pieces": pieces,
            "orient": "horizontal",
            "top": 0,
            "left": "center",
            "dimension": 2,
            "itemWidth": 12,
            "itemHeight": 12,
        },
        "series": [
            {"type": "heatmap", "data": data, "itemStyle": {"borderColor": "#fff", "borderWidth": 1}, "progressive": 0}
        ],
    }


def grid_height(runs: int) -> int:
    """The chart's height in px for ``runs`` rows, legend and margins included."""
    return TOP + 30 + CELL * max(runs, 1)
