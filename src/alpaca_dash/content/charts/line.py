"""Waveform / line and scatter panels: y against the sample index or against another 1D observable."""

from __future__ import annotations

from alpaca_dash.content.charts.common import ArrayLike, Option, base_option, number_axis
from alpaca_dash.content.charts.packed import PACKED_KEY, pack_rows


def _axes(x_name: str, y_name: str) -> Option:
    return {
        "xAxis": number_axis(x_name, nameLocation="middle", nameGap=24),
        "yAxis": number_axis(y_name, nameTextStyle={"align": "left"}),
    }


def build_line_option(x: ArrayLike, y: ArrayLike, *, x_name: str = "index", y_name: str = "") -> Option:
    """A line of already downsampled points, zoomable with the mouse wheel."""
    option = base_option()
    option.update(_axes(x_name, y_name))
    option["dataZoom"] = [{"type": "inside", "xAxisIndex": 0}]
    option["series"] = [
        {
            "type": "line",
            PACKED_KEY: pack_rows(x, y),
            "showSymbol": False,
            "lineStyle": {"width": 1},
            "sampling": "none",
            "connectNulls": False,
        }
    ]
    return option


def build_scatter_option(x: ArrayLike, y: ArrayLike, *, x_name: str = "index", y_name: str = "") -> Option:
    """Points without lines, for y against an x that is not ordered."""
    option = base_option()
    option.update(_axes(x_name, y_name))
    option["tooltip"] = {"trigger": "item", "confine": True}
    option["series"] = [{"type": "scatter", PACKED_KEY: pack_rows(x, y), "symbolSize": 3, "large": True}]
    return option
