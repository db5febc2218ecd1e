"""Colour maps as 256-entry lookup tables, interpolated from anchor colours sampled from matplotlib's maps."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

#: anchor colours at evenly spaced positions from 0 to 1
ANCHORS: dict[str, tuple[str, ...]] = {
    "viridis": (
        "#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725",
    ),
    "inferno": (
        "#000004", "#1b0c41", "#4a0c6b", "#781c6d", "#a52c60", "#cf4446", "#ed6925", "#fb9b06", "#f7d13d", "#fcffa4",
    ),
    "magma": (
        "#000004", "#180f3d", "#440f76", "#721f81", "#9e2f7f", "#cd4071", "#f1605d", "#fd9668", "#feca8d", "#fcfdbf",
    ),
    "gray": ("#000000", "#ffffff"),
    "coolwarm": ("#3b4cc0", "#7396f5", "#b0cbfc", "#dddddd", "#f6bfa6", "#e7745b", "#b40426"),
}  # fmt: skip


def _rgb(hex_color: str) -> tuple[int, int, int]:
    return int(hex_color[1:3], 16), int(hex_color[3:5], 16), int(hex_color[5:7], 16)


@cache
def lookup_table(name: str) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """A (256, 3) uint8 RGB table for the colour map.

    :raises KeyError: for an unknown colour map.
    """
    anchors = np.array([_rgb(c) for c in ANCHORS[name]], dtype=np.float64)
    positions = np.linspace(0.0, 1.0, len(anchors))
    grid = np.linspace(0.0, 1.0, 256)
    table = np.stack([np.interp(grid, positions, anchors[:, channel]) for channel in range(3)], axis=1)
    result: np.ndarray[Any, np.dtype[np.uint8]] = np.rint(table).astype(np.uint8)
    result.flags.writeable = False
    return result


def color_stops(name: str, count: int = 9) -> list[str]:
    """``count`` evenly spaced colours of the map as ``#rrggbb``, for a colour bar."""
    table = lookup_table(name)
    indices = np.linspace(0, 255, count).round().astype(int)
    return ["#{:02x}{:02x}{:02x}".format(*table[i]) for i in indices]
