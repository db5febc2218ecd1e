"""Image panels' content: the run's image, alone, beside the reference run's on one colour scale, or minus it.

Everything here runs in a worker thread. A reference image that cannot be compared (another shape, no value, a
read failure) never costs the panel its own image: the run's image is shown alone, its label saying why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from alpaca_dash.content.charts.common import MINUS, Option
from alpaca_dash.content.data import PublishImage
from alpaca_dash.content.image_option import PlacedImage, build_image_option, image_grids, with_regions
from alpaca_dash.content.images import PERCENTILE_SAMPLE, ZRange, render_png, resolve_zrange
from alpaca_dash.content.zoom import Zoom, region_bounds
from alpaca_dash.types import Array

if TYPE_CHECKING:
    from alpaca_dash.content.charts.image import ImageOptions

log = logging.getLogger(__name__)

#: reads the reference run's image; None when that run has none
LoadReference = Callable[[], Array | None]
#: a diverging map: zero difference is neutral grey, the run brighter is red, dimmer is blue
DIFFERENCE_COLORMAP = "coolwarm"
TIMES = "\N{MULTIPLICATION SIGN}"


def panel_zrange(options: ImageOptions) -> ZRange:
    return ZRange(
        options.z_mode, options.z_low, options.z_high, options.percentile_low, options.percentile_high, options.log_z
    )


def _flat(array: Array) -> Array:
    return (array.view(np.uint8) if array.dtype == np.bool_ else array).ravel()


def pooled_values(arrays: Sequence[Array], zrange: ZRange) -> Array:
    """A few values whose colour range (``resolve_zrange``) is that of all ``arrays`` together: each array's
    extremes, or for percentiles an even sample of each array's pixels."""
    parts = []
    for array in arrays:
        values = _flat(array)
        if zrange.mode == "percentile":
            step = max(1, values.size * len(arrays) // PERCENTILE_SAMPLE)
            parts.append(values[::step].astype(np.float64))
            continue
        if values.dtype.kind == "f":
            values = values[np.isfinite(values)]
        if zrange.log:
            values = values[values > 0]
        if values.size:
            parts.append(np.array([values.min(), values.max()], dtype=np.float64))
    return np.concatenate(parts) if parts else np.empty(0)


def shared_zrange(arrays: Sequence[Array], zrange: ZRange) -> tuple[float, float]:
    """The (low, high) of the one colour scale that ``arrays`` are drawn on, with the panel's z settings."""
    return resolve_zrange(pooled_values(arrays, zrange), zrange)


def image_difference(value: Array, reference: Array) -> np.ndarray[Any, np.dtype[np.float32]]:
    """``value - reference`` as float32 (unsigned images can go negative), and 0 where it is not a number (a pixel
    missing in either image): drawn neutral, not as the most negative colour."""
    difference = np.subtract(_flat(value), _flat(reference), dtype=np.float32).reshape(value.shape)
    difference[np.isnan(difference)] = 0.0
    return difference


def symmetric_limit(difference: Array, zrange: ZRange) -> float:
    """``m`` for a colour scale from ``-m`` to ``m``: the largest absolute difference, or its ``percentile_high``-th
    percentile when the panel's z range is by percentiles (manual bounds and log scale concern the images' values,
    not their difference); 1 when the images are equal."""
    magnitude = np.abs(difference[np.isfinite(difference)])
    if magnitude.size == 0:
        return 1.0
    if zrange.mode == "percentile":
        step = max(1, magnitude.size // PERCENTILE_SAMPLE)
        limit = float(np.percentile(magnitude[::step], zrange.percentile_high))
    else:
        limit = float(magnitude.max())
    return limit if limit > 0 else 1.0


def shape_text(array: Array) -> str:
    """``columns`` times ``rows``, as an image's size is usually read."""
    return TIMES.join(str(n) for n in reversed(array.shape))


def image_option(
    options: ImageOptions,
    images: Sequence[tuple[Array, str]],
    unit: str,
    size: tuple[int, int],
    publish: PublishImage,
    *,
    colormap: str | None = None,
    zrange: ZRange | None = None,
    zoom: Zoom | None = None,
) -> Option:
    """``images`` (arrays of one shape, with their labels) side by side, drawn to PNGs on one colour scale.

    :param colormap: instead of the panel's; :param zrange: instead of the panel's z settings.
    :param zoom: the region the panel is zoomed into, drawn again from the arrays at full resolution.
    """
    o = options
    colormap = colormap or o.colormap
    zrange = zrange or panel_zrange(o)
    low, high = shared_zrange([array for array, _ in images], zrange) if len(images) > 1 else (None, None)
    fixed = zrange if low is None else ZRange("manual", low, high, log=zrange.log)
    rows, columns = images[0][0].shape
    grids = image_grids(size, columns=columns, rows=rows, count=len(images), colorbar=o.colorbar)
    width, height = grids[0]["width"], grids[0]["height"]
    placed = []
    for array, label in images:
        rendered = render_png(array, width=width, height=height, colormap=colormap, zrange=fixed)
        placed.append(PlacedImage(publish(rendered.png), label))
    option = build_image_option(
        placed,
        columns=columns,
        rows=rows,
        grids=grids,
        zmin=rendered.zmin,
        zmax=rendered.zmax,
        colormap=colormap,
        log_z=zrange.log,
        colorbar=o.colorbar,
        unit=unit,
    )
    bounds = None if zoom is None else region_bounds((rows, columns), zoom)
    if bounds is None:
        return option
    scale = ZRange("manual", rendered.zmin, rendered.zmax, log=zrange.log)  # the overview's colours
    c0, r0, c1, r1 = bounds
    regions = [
        publish(render_png(crisp(array[r0:r1, c0:c1], width, height), width=width, height=height,
                           colormap=colormap, zrange=scale).png)
        for array, _ in images
    ]  # fmt: skip
    return with_regions(option, regions, bounds)


def crisp(region: Array, width: int, height: int) -> Array:
    """A region with fewer pixels than the panel shows it on, each pixel repeated a whole number of times so it is
    drawn as a sharp square (the browser would blur a small PNG it scales up)."""
    factor = min(width // max(region.shape[1], 1), height // max(region.shape[0], 1))
    if factor <= 1:
        return region
    return np.repeat(np.repeat(region, factor, axis=0), factor, axis=1)


def compared_image_option(
    options: ImageOptions,
    value: Array,
    unit: str,
    size: tuple[int, int],
    publish: PublishImage,
    *,
    run: int,
    reference: int,
    load_reference: LoadReference,
    zoom: Zoom | None = None,
) -> Option:
    """The run's image with the reference run's, as the panel's ``reference_view`` asks: side by side or their
    difference; the run's image alone, its label saying why, when the reference cannot be compared."""
    other: Array | None = None
    try:
        other = load_reference()
    except Exception as exc:  # the panel's own image is fine; only the comparison is missing
        log.warning("reference run %d of an image panel failed: %s", reference, exc)
        note = f"unreadable ({type(exc).__name__})"
    else:
        note = comparison_problem(value, other)
    if note or other is None:
        label = f"run {run} · reference {reference} {note}"
        return image_option(options, [(value, label)], unit, size, publish, zoom=zoom)
    if options.reference_view == "side":
        both = [(value, f"run {run}"), (other, f"reference {reference}")]
        return image_option(options, both, unit, size, publish, zoom=zoom)
    difference = image_difference(value, other)
    limit = symmetric_limit(difference, panel_zrange(options))
    label = f"run {run} {MINUS} reference {reference}"
    symmetric = ZRange("manual", -limit, limit)
    return image_option(
        options, [(difference, label)], unit, size, publish, colormap=DIFFERENCE_COLORMAP, zrange=symmetric, zoom=zoom
    )


def comparison_problem(value: Array, reference: Array | None) -> str:
    """Why the reference image cannot be compared with the run's, or "" when it can."""
    if reference is None:
        return "has no image"
    if reference.shape != value.shape:
        return f"is {shape_text(reference)}, not {shape_text(value)}: not compared"
    return ""
