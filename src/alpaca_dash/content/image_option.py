"""Image options for ECharts: server-drawn PNGs placed on pixel axes, with a colour bar for the value range.

One image, or several of the same shape side by side (a run and its reference), each in its own grid with its own
axes; zooming one zooms them all, so the same pixels stay side by side.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from alpaca_dash.content.charts.common import Option, zoomed_to
from alpaca_dash.content.colormaps import color_stops

#: draws the PNG over its pixel axes, with its label in the corner, and starts fetching it (``static/charts.js``)
IMAGE_RENDERER = "alpaca.imageRenderer"


#: the last pixel's label would collide with the last round tick
EDGE_LABELS = {"showMaxLabel": False, "hideOverlap": True}
#: an image right of another: its first column's label would collide with the other's last
NEXT_LABELS = {"showMaxLabel": False, "showMinLabel": False, "hideOverlap": True}
#: room around the image for the axis labels (left, top, bottom) and the colour bar (right)
MARGIN_LEFT, MARGIN_TOP, MARGIN_BOTTOM = 48, 12, 28
MARGIN_RIGHT, MARGIN_RIGHT_COLORBAR = 16, 72
#: pixels the colour bar's end label takes above the bar
COLORBAR_LABEL = 16
#: pixels between images side by side (the images after the first have no row labels)
SIDE_GAP = 12


@dataclass(frozen=True)
class PlacedImage:
    """A PNG to show at ``url``, with a label drawn over its corner ("" for none)."""

    url: str
    label: str = ""


def image_grids(
    size: tuple[int, int], *, columns: int, rows: int, count: int = 1, colorbar: bool = True
) -> list[dict[str, int]]:
    """The ECharts grids (pixels) in which ``count`` images of ``columns`` x ``rows`` side by side have square pixels
    in a panel body of ``size``: as large as fit inside the margins, centred."""
    right = MARGIN_RIGHT_COLORBAR if colorbar else MARGIN_RIGHT
    free_width = max(1, size[0] - MARGIN_LEFT - right - SIDE_GAP * (count - 1))
    free_height = max(1, size[1] - MARGIN_TOP - MARGIN_BOTTOM)
    scale = min(free_width / (count * max(columns, 1)), free_height / max(rows, 1))
    width, height = max(1, round(columns * scale)), max(1, round(rows * scale))
    left = MARGIN_LEFT + (free_width - count * width) // 2
    top = MARGIN_TOP + (free_height - height) // 2
    return [{"left": left + i * (width + SIDE_GAP), "top": top, "width": width, "height": height} for i in range(count)]


def image_grid(size: tuple[int, int], *, columns: int, rows: int, colorbar: bool = True) -> dict[str, int]:
    """The ECharts grid (pixels) in which one image of ``columns`` x ``rows`` has square pixels (``image_grids``)."""
    return image_grids(size, columns=columns, rows=rows, colorbar=colorbar)[0]


def colorbar_place(grid: dict[str, int]) -> dict[str, int]:
    """Where the colour bar goes beside an image placed in ``grid``: as tall as the image, its end labels above and
    below it."""
    return {"top": max(0, grid["top"] - COLORBAR_LABEL), "itemHeight": max(30, grid["height"])}


def _one_or_all(items: list[Any]) -> Any:
    """A single image's option keeps ECharts' one-component form (a dict, not a list of one)."""
    return items[0] if len(items) == 1 else items


def _all(item: Any) -> list[Any]:
    return item if isinstance(item, list) else [item]


def fit_image_option(option: Option, size: tuple[int, int]) -> Option:
    """An image option placed again for a panel body of ``size`` (the PNGs are scaled by the browser)."""
    x_axes, y_axes = _all(option["xAxis"]), _all(option["yAxis"])
    grids = image_grids(
        size, columns=x_axes[0]["max"], rows=y_axes[0]["max"], count=len(x_axes), colorbar="visualMap" in option
    )
    fitted = {**option, "grid": _one_or_all(grids)}
    if "visualMap" in option:
        fitted["visualMap"] = {**option["visualMap"], **colorbar_place(grids[0])}
    return fitted


def _image_series(image: PlacedImage, index: int, columns: int, rows: int) -> Option:
    render = f"{IMAGE_RENDERER}({json.dumps(image.url)}, {json.dumps(image.label)})"
    series: Option = {"type": "custom", "data": [[columns, rows]], ":renderItem": render, "clip": True, "silent": True}
    if image.label:
        series["name"] = image.label
    if index:
        series |= {"xAxisIndex": index, "yAxisIndex": index}
    return series


def _axes(count: int, columns: int, rows: int) -> tuple[list[Option], list[Option]]:
    x_axes: list[Option] = []
    y_axes: list[Option] = []
    for index in range(count):
        place = {"gridIndex": index} if count > 1 else {}
        x_axes.append(
            {
                "type": "value",
                "min": 0,
                "max": columns,
                "splitLine": {"show": False},
                "axisLabel": EDGE_LABELS if index == 0 else NEXT_LABELS,
                **place,
            }
        )
        y_axes.append(
            {
                "type": "value",
                "min": 0,
                "max": rows,
                "inverse": True,
                "splitLine": {"show": False},
                "axisLabel": EDGE_LABELS if index == 0 else {"show": False},
                **place,
            }
        )
    return x_axes, y_axes


def build_image_option(
    images: Sequence[PlacedImage],
    *,
    columns: int,
    rows: int,
    grids: list[dict[str, int]] | None = None,
    zmin: float,
    zmax: float,
    colormap: str = "viridis",
    log_z: bool = False,
    colorbar: bool = True,
    unit: str = "",
) -> Option:
    """An option showing PNGs of ``columns`` x ``rows`` pixels side by side (row 0 at the top), each on its own
    pixel axes, and optionally a colour bar; zoom and pan apply to all of them.

    ``zmin``/``zmax`` are the values of the colour bar's ends, as the server computed them for the PNGs (one colour
    scale for all).

    :param grids: one per image (``image_grids``); None stretches a single image over the whole panel.
    """
    count = len(images)
    indices = _one_or_all(list(range(count)))
    x_axes, y_axes = _axes(count, columns, rows)
    option: Option = {
        "animation": False,
        "grid": _one_or_all(grids)
        if grids
        else {
            "left": MARGIN_LEFT,
            "right": MARGIN_RIGHT_COLORBAR if colorbar else MARGIN_RIGHT,
            "top": MARGIN_TOP,
            "bottom": MARGIN_BOTTOM,
        },
        "tooltip": {"show": False},
        # not an ECharts setting: the PNGs the chart draws, for tests and benchmarks to see when they have arrived
        "alpacaImages": [image.url for image in images],
        "xAxis": _one_or_all(x_axes),
        "yAxis": _one_or_all(y_axes),
        "dataZoom": [{"type": "inside", "xAxisIndex": indices}, {"type": "inside", "yAxisIndex": indices}],
        "series": [
            *(_image_series(image, index, columns, rows) for index, image in enumerate(images)),
            {"type": "scatter", "data": []},
        ],
    }
    if colorbar:
        option["visualMap"] = {
            "type": "continuous",
            "min": zmin,
            "max": zmax,
            "seriesIndex": count,
            "calculable": False,
            "right": 4,
            **(colorbar_place(grids[0]) if grids else {"top": "middle", "itemHeight": 160}),
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


#: draws a PNG of an image's region over the pixels it covers (``static/charts.js``)
REGION_RENDERER = "alpaca.regionRenderer"


def with_regions(option: Option, urls: Sequence[str], bounds: tuple[int, int, int, int]) -> Option:
    """``option`` with the PNGs of one region of each of its images drawn over them, and zoomed to that region.

    :param bounds: first column, first row, end column and end row of the region.
    """
    c0, r0, c1, r1 = bounds
    count = len(urls)
    regions = []
    for index, url in enumerate(urls):
        series: Option = {
            "type": "custom",
            "data": [[c0, r0, c1, r1]],
            ":renderItem": f"{REGION_RENDERER}({json.dumps(url)})",
            "clip": True,
            "silent": True,
            "z": 3,
        }
        if index:
            series |= {"xAxisIndex": index, "yAxisIndex": index}
        regions.append(series)
    indices = _one_or_all(list(range(count)))
    return {
        **option,
        "alpacaImages": [*option.get("alpacaImages", []), *urls],
        "dataZoom": [zoomed_to((c0, c1), xAxisIndex=indices), zoomed_to((r0, r1), yAxisIndex=indices)],
        "series": [*option["series"], *regions],
    }
