"""Full resolution where a panel is zoomed: the samples of a waveform's visible window, the pixels of an image's
visible region, read from the stored array instead of stretching what was drawn for the whole panel.

A zoomed panel's option is the overview with the window's detail in place (the overview's points outside the window
are kept, so the axes and the zoom state stay as they are), and states its zoom window, so a redraw keeps it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from alpaca_dash.content.downsample import downsample_line
from alpaca_dash.types import Array

Span = tuple[float, float]


@dataclass(frozen=True)
class Zoom:
    """The visible window of a zoomed panel in data units: ``x`` from and to, and ``y`` for an image's rows."""

    x: Span
    y: Span | None = None

    def __post_init__(self) -> None:
        for span in (self.x, self.y):
            if span is not None and not (math.isfinite(span[0]) and math.isfinite(span[1]) and span[0] < span[1]):
                raise ValueError(f"a zoom window runs from a lower to a higher finite number, not {span}")


def window_slice(x: Array | None, size: int, window: Span) -> slice:
    """The samples inside ``window`` (x ascending), and one beyond each end so the line reaches the edges."""
    low, high = window
    if x is None:
        start, stop = math.floor(low), math.ceil(high) + 1
    else:
        start = int(np.searchsorted(x, low, side="left")) - 1
        stop = int(np.searchsorted(x, high, side="right")) + 1
    return slice(max(0, start), min(size, max(stop, 0)))


def is_ascending(x: Array) -> bool:
    return x.size < 2 or bool(np.all(x[1:] >= x[:-1]))


def detail_points(y: Array, x: Array | None, window: Span, points: int) -> tuple[Array, Array] | None:
    """The window's samples at ``points`` (every sample when there are no more), or None for an x that is not
    ascending (a scatter of y against x has no window of samples)."""
    if x is not None:
        n = min(x.size, y.size)
        x, y = x[:n], y[:n]
        if not is_ascending(x):
            return None
    part = window_slice(x, y.size, window)
    if x is None:
        index, values = downsample_line(y[part], points)
        return np.asarray(index) + part.start, values
    return downsample_line(y[part], points, x[part])


def with_detail(overview: tuple[Array, Array], detail: tuple[Array, Array] | None, window: Span) -> tuple[Array, Array]:
    """The overview's points outside the detail (the samples of ``window``) and the detail, in order of x."""
    if detail is None:
        return overview
    xs, ys = np.asarray(overview[0]), np.asarray(overview[1])
    dx, dy = np.asarray(detail[0]), np.asarray(detail[1])
    low, high = (float(dx.min()), float(dx.max())) if dx.size else window
    left, right = xs < low, xs > high
    merged_x = np.concatenate([xs[left].astype(np.float64), dx.astype(np.float64), xs[right].astype(np.float64)])
    merged_y = np.concatenate([ys[left].astype(np.float64), dy.astype(np.float64), ys[right].astype(np.float64)])
    return merged_x, merged_y


def region_bounds(shape: tuple[int, ...], zoom: Zoom) -> tuple[int, int, int, int] | None:
    """``(first column, first row, end column, end row)`` of the pixels an image's zoom shows, or None when it
    shows the whole image."""
    rows, columns = shape[0], shape[1]
    c0, c1 = max(0, math.floor(zoom.x[0])), min(columns, math.ceil(zoom.x[1]))
    r0, r1 = (0, rows) if zoom.y is None else (max(0, math.floor(zoom.y[0])), min(rows, math.ceil(zoom.y[1])))
    if c1 <= c0 or r1 <= r0 or (c0, r0, c1, r1) == (0, 0, columns, rows):
        return None
    return c0, r0, c1, r1
