"""Shrinking long series for display: MinMaxLTTB keeps a line's shape, peaks included, at a few points per pixel."""

from __future__ import annotations

import numpy as np
from tsdownsample import MinMaxLTTBDownsampler, NaNMinMaxLTTBDownsampler

from alpaca_dash.types import Array

#: dtypes tsdownsample takes as they are; the others are converted to float64 first
_NATIVE = {"float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"}
MIN_POINTS = 16
MAX_POINTS = 8000


def _native(values: Array) -> Array:
    if values.dtype.name in _NATIVE:
        return np.ascontiguousarray(values)
    return np.ascontiguousarray(values, dtype=np.float64)


def points_for_width(width_px: float) -> int:
    """About two points per pixel of the panel, bounded."""
    return int(min(MAX_POINTS, max(MIN_POINTS, round(2 * width_px))))


def downsample_line(y: Array, n_out: int, x: Array | None = None) -> tuple[Array, Array]:
    """``(x, y)`` with at most about ``n_out`` points chosen by MinMaxLTTB; ``x`` defaults to the sample index.

    An ``x`` that is not sorted (a scatter, not a line) is thinned by a regular stride instead, since LTTB needs
    a monotonic x. Series already short enough come back whole.
    """
    if x is not None and x.shape != y.shape:
        n = min(x.size, y.size)
        x, y = x[:n], y[:n]
    n_out = max(MIN_POINTS, n_out)
    if y.size <= n_out:
        return (np.arange(y.size) if x is None else x), y
    y_native = _native(y)
    has_nan = y_native.dtype.kind == "f" and bool(np.isnan(y_native).any())
    sampler = NaNMinMaxLTTBDownsampler() if has_nan else MinMaxLTTBDownsampler()  # type: ignore[no-untyped-call]
    if x is None:
        index = sampler.downsample(y_native, n_out=n_out)
        return index, y[index]
    x_native = _native(x)
    if (x_native.dtype.kind == "f" and bool(np.isnan(x_native).any())) or bool(np.any(np.diff(x_native) < 0)):
        return thin_points(x, y, n_out)
    index = sampler.downsample(x_native, y_native, n_out=n_out)
    return x[index], y[index]


def thin_points(x: Array, y: Array, n_out: int) -> tuple[Array, Array]:
    """Every k-th point so that at most ``n_out`` remain (for scatter plots)."""
    step = max(1, int(np.ceil(y.size / n_out)))
    return x[::step], y[::step]
