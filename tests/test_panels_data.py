"""Downsampling of long series and server-side drawing of images to PNG."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from alpaca_dash.content.colormaps import COLORMAPS, color_stops, lookup_table
from alpaca_dash.content.downsample import downsample_line, points_for_width
from alpaca_dash.content.images import ZRange, render_png, resolve_zrange


def test_minmaxlttb_keeps_the_peaks_of_a_long_waveform() -> None:
    y = np.random.default_rng(1).normal(0.0, 0.01, 1_000_000)
    y[123_456] = -5.0
    y[654_321] = 4.0
    x, ys = downsample_line(y, points_for_width(600))
    assert len(ys) <= 1200 and ys.min() == -5.0 and ys.max() == 4.0
    assert 123_456 in x and np.all(np.diff(x) > 0)


def test_downsampling_against_another_series_and_short_series() -> None:
    t = np.linspace(0.0, 1.0, 50_000, dtype=np.float32)
    v = np.sin(t * 50).astype(np.float32)
    x, y = downsample_line(v, 400, t)
    assert len(x) == len(y) <= 400 and x.dtype == np.float32 and np.all(np.diff(x) >= 0)
    short_x, _short_y = downsample_line(np.arange(10.0), 400)
    assert list(short_x) == list(range(10))


def test_downsampling_copes_with_nan_bool_and_unordered_x() -> None:
    y = np.random.default_rng(2).normal(size=10_000)
    y[::7] = np.nan
    _x, ys = downsample_line(y, 100)
    assert len(ys) <= 100
    flags = np.random.default_rng(3).random(5000) > 0.5
    assert len(downsample_line(flags, 100)[1]) <= 100
    shuffled = np.random.default_rng(4).permutation(5000).astype(np.float64)
    xs, _ = downsample_line(np.ones(5000), 100, shuffled)
    assert len(xs) <= 100
    assert points_for_width(0) == 16 and points_for_width(10_000) == 8000


#: entries of matplotlib's own tables (``matplotlib._cm_listed``), as floats
MATPLOTLIB = {
    ("viridis", 0): (0.267004, 0.004874, 0.329415),
    ("viridis", 128): (0.127568, 0.566949, 0.550556),
    ("viridis", 255): (0.993248, 0.906157, 0.143936),
    ("inferno", 255): (0.988362, 0.998364, 0.644924),
    ("magma", 0): (0.001462, 0.000466, 0.013866),
}


def test_lookup_tables_are_matplotlibs_colours() -> None:
    for name in COLORMAPS:
        table = lookup_table(name)
        assert table.shape == (256, 3) and table.dtype == np.uint8
    for (name, index), rgb in MATPLOTLIB.items():
        assert tuple(lookup_table(name)[index]) == tuple(round(c * 255) for c in rgb), (name, index)
    assert color_stops("gray", 3) == ["#000000", "#808080", "#ffffff"]
    assert color_stops("viridis", 2) == ["#440154", "#fde725"]
    with pytest.raises(KeyError):
        lookup_table("jet")


def _decode(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png))


def test_image_is_drawn_at_panel_resolution_never_larger() -> None:
    image = np.random.default_rng(5).normal(size=(1024, 1024)).astype(np.float32)
    small = render_png(image, width=400, height=300)
    assert _decode(small.png).size == (400, 300) and (small.width, small.height) == (400, 300)
    native = render_png(image[:64, :32], width=400, height=300)
    assert _decode(native.png).size == (32, 64)
    assert _decode(small.png).mode == "P"


def test_colours_follow_the_z_range() -> None:
    ramp = np.tile(np.linspace(0.0, 100.0, 101, dtype=np.float64), (4, 1))
    drawn = _decode(render_png(ramp, width=200, height=10, colormap="gray").png).convert("RGB")
    assert drawn.getpixel((0, 0)) == (0, 0, 0) and drawn.getpixel((100, 0)) == (255, 255, 255)
    manual = render_png(ramp, width=200, height=10, colormap="gray", zrange=ZRange("manual", 50.0, 60.0))
    pixels = _decode(manual.png).convert("RGB")
    assert pixels.getpixel((10, 0)) == (0, 0, 0) and pixels.getpixel((70, 0)) == (255, 255, 255)
    assert (manual.zmin, manual.zmax) == (50.0, 60.0)


def test_z_range_modes() -> None:
    values = np.concatenate([np.arange(1000.0), [np.nan, np.inf, 1e9]])
    assert resolve_zrange(values, ZRange("auto")) == (0.0, 1e9)
    low, high = resolve_zrange(values, ZRange("percentile", percentile_low=1, percentile_high=99))
    assert 5 < low < 15 and 985 < high < 1000
    assert resolve_zrange(values, ZRange("manual", low=3.0)) == (3.0, 1e9)
    assert resolve_zrange(np.array([-1.0, 0.0, 10.0]), ZRange(log=True)) == (10.0, 100.0)
    assert resolve_zrange(np.full(4, 2.0), ZRange()) == (2.0, 3.0)
    assert resolve_zrange(np.array([np.nan]), ZRange()) == (0.0, 1.0)


def test_log_scale_integers_and_booleans() -> None:
    counts = np.array([[0, 1, 10, 100]], dtype=np.uint16)
    drawn = render_png(counts, width=4, height=1, colormap="gray", zrange=ZRange(log=True))
    assert (drawn.zmin, drawn.zmax) == (1.0, 100.0)
    gray = np.asarray(_decode(drawn.png).convert("L"))[0, :4].tolist()
    assert gray[0] == 0 and gray[1] == 0 and 120 < gray[2] < 135 and gray[3] == 255
    assert render_png(np.eye(3, dtype=bool), width=3, height=3).zmax == 1.0
    with pytest.raises(ValueError, match="2D"):
        render_png(np.zeros(3), width=3, height=3)


def test_a_large_camera_image_is_averaged_in_blocks_of_its_own_dtype() -> None:
    """Above four million pixels an integer image is averaged down before any float copy: the colours are those of
    the block means, its range that of the whole array."""
    rng = np.random.default_rng(8)
    image = rng.integers(0, 1000, size=(2600, 2600), dtype=np.uint16)
    image[1234, 2345] = 60_000  # one hot pixel sets the top of the scale
    rendered = render_png(image, width=260, height=260)
    assert (rendered.width, rendered.height, rendered.zmin, rendered.zmax) == (260, 260, 0.0, 60_000.0)
    means = image.reshape(260, 10, 260, 10).mean(axis=(1, 3))
    shown = np.asarray(_decode(rendered.png))  # palette indices
    expected = np.rint(means * 255 / 60_000).astype(np.uint8)
    assert np.abs(shown.astype(int) - expected.astype(int)).max() <= 1
