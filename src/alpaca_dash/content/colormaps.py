"""Colour maps as 256-entry lookup tables, from the ``cmap`` package's copies of matplotlib's tables.

Each entry is the library's colour rounded to 8 bits, so an image drawn here has matplotlib's colours (the hand-made
tables interpolated from ten anchors that this replaced were up to 16/255 off).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from cmap import Colormap

#: our names of the maps, and the library's (namespaced: "coolwarm" alone is ambiguous there)
COLORMAPS: dict[str, str] = {
    "viridis": "bids:viridis",
    "inferno": "bids:inferno",
    "magma": "bids:magma",
    "gray": "matlab:gray",
    "coolwarm": "matplotlib:coolwarm",
}


@cache
def lookup_table(name: str) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """A (256, 3) uint8 RGB table for the colour map.

    :raises KeyError: for an unknown colour map.
    """
    rgba = np.asarray(Colormap(COLORMAPS[name]).lut(256), dtype=np.float64)
    result: np.ndarray[Any, np.dtype[np.uint8]] = np.rint(rgba[:, :3] * 255).astype(np.uint8)
    result.flags.writeable = False
    return result


def color_stops(name: str, count: int = 9) -> list[str]:
    """``count`` evenly spaced colours of the map as ``#rrggbb``, for a colour bar."""
    table = lookup_table(name)
    indices = np.linspace(0, 255, count).round().astype(int)
    return ["#{:02x}{:02x}{:02x}".format(*table[i]) for i in indices]
