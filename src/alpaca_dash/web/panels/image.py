"""The image panel: a server-drawn PNG placed on pixel axes, with a colour bar for the value range."""

from __future__ import annotations

import json

from alpaca_dash.queries.colormaps import color_stops
from alpaca_dash.web.panels.common import Option

#: draws the PNG over the data rectangle [0, columns] x [0, rows]; re-run by ECharts on every zoom or resize. The
#: expression runs when the option reaches the page, before ECharts draws: it starts fetching the PNG at once, and
#: ECharts' own request for the same URL is then served from the browser's memory cache
RENDER_IMAGE_JS = (
    "(() => { const url = __URL__; new Image().src = url; "
    "return (params, api) => { const a = api.coord([0, 0]); const b = api.coord([api.value(0), api.value(1)]); "
    "return {type: 'image', style: {image: url, "
    "x: Math.min(a[0], b[0]), y: Math.min(a[1], b[1]), width: Math.abs(b[0] - a[0]), "
    "height: Math.abs(b[1] - a[1])}}; }; })()"
)


#: the last pixel's label would collide with the last round tick
EDGE_LABELS = {"showMaxLabel": False}
#: room around the image for the axis labels (left, top, bottom) and the colour bar (right)
MARGIN_LEFT, MARGIN_TOP, MARGIN_BOTTOM = 48, 12, 28
MARGIN_RIGHT, MARGIN_RIGHT_COLORBAR = 16, 72


def image_grid(size: tuple[int, int], *, columns: int, rows: int, colorbar: bool = True) -> dict[str, int]:
    """The ECharts grid (pixels) in which an image of ``columns`` x ``rows`` has square pixels in a panel body of
    ``size``: as large as fits inside the margins, centred."""
    right = MARGIN_RIGHT_COLORBAR if colorbar else MARGIN_RIGHT
    free_width = max(1, size[0] - MARGIN_LEFT - right)
    free_height = max(1, size[1] - MARGIN_TOP - MARGIN_BOTTOM)
    scale = min(free_width / max(columns, 1), free_height / max(rows, 1))
    width, height = max(1, round(columns * scale)), max(1, round(rows * scale))
    return {
        "left": MARGIN_LEFT + (free_width - width) // 2,
        "top": MARGIN_TOP + (free_height - height) // 2,
        "width": width,
        "height": height,
    }


def fit_image_option(option: Option, size: tuple[int, int]) -> Option:
    """An image option placed again for a panel body of ``size`` (the PNG is scaled by the browser)."""
    grid = image_grid(size, columns=option["xAxis"]["max"], rows=option["yAxis"]["max"], colorbar="visualMap" in option)
    return {**option, "grid": grid}


def build_image_option(
    url: str,
    *,
    columns: int,
    rows: int,
    grid: dict[str, int] | None = None,
    zmin: float,
    zmax: float,
    colormap: str = "viridis",
    log_z: bool = False,
    colorbar: bool = True,
    unit: str = "",
) -> Option:
    """An option showing the PNG at ``url`` over pixel axes (row 0 at the top) and, optionally, a colour bar.

    ``zmin``/``zmax`` are the values of the colour bar's ends, as the server computed them for the PNG.

    :param grid: where the image goes (``image_grid``); None stretches it over the whole panel.
    """
    render = RENDER_IMAGE_JS.replace("__URL__", json.dumps(url))
    option: Option = {
        "animation": False,
        "grid": grid
        or {
            "left": MARGIN_LEFT,
            "right": MARGIN_RIGHT_COLORBAR if colorbar else MARGIN_RIGHT,
            "top": MARGIN_TOP,
            "bottom": MARGIN_BOTTOM,
        },
        "tooltip": {"show": False},
        "xAxis": {"type": "value", "min": 0, "max": columns, "splitLine": {"show": False}, "axisLabel": EDGE_LABELS},
        "yAxis": {
            "type": "value",
            "min": 0,
            "max": rows,
            "inverse": True,
            "splitLine": {"show": False},
            "axisLabel": EDGE_LABELS,
        },
        "dataZoom": [{"type": "inside", "xAxisIndex": 0}, {"type": "inside", "yAxisIndex": 0}],
        "series": [
            {
                "type": "custom",
                "data": [[columns, rows]],
                ":renderItem": render,
                "clip": True,
                "silent": True,
            },
            {"type": "scatter", "data": []},
        ],
    }
    if colorbar:
        option["visualMap"] = {
            "type": "continuous",
            "min": zmin,
            "max": zmax,
            "seriesIndex": 1,
            "calculable": False,
            "right": 4,
            "top": "middle",
            "itemHeight": 160,
            "text": [_label(zmax, unit), _label(zmin, "")],
            "formatter": "",
            "inRange": {"color": color_stops(colormap)},
            "textStyle": {"fontSize": 10},
        }
        if log_z:
            option["visualMap"]["text"] = [f"{_label(zmax, unit)} (log)", _label(zmin, "")]
    return option


def _label(value: float, unit: str) -> str:
    text = f"{value:.3g}"
    return f"{text} {unit}" if unit else text
