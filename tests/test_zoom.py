"""Zooming draws the stored array at full resolution: a waveform's raw samples in the window, an image's pixels."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from memory_panel_data import MemoryPanelData
from PIL import Image

from alpaca_dash.content.charts.packed import series_data
from alpaca_dash.content.colormaps import lookup_table
from alpaca_dash.content.data import Target
from alpaca_dash.content.load import load_panel
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.content.zoom import Zoom, detail_points, region_bounds, with_detail

WAVE, TIME, CAMERA = "scope*V", "scope*t", "cam*image"


def waveform(samples: int = 100_000) -> MemoryPanelData:
    rng = np.random.default_rng(5)
    v = rng.normal(0.0, 1.0, samples).astype(np.float32)
    t = np.linspace(0.0, 1e-3, samples)
    return MemoryPanelData({(WAVE, 1): v, (TIME, 1): t})


def test_a_zoomed_waveform_shows_the_raw_samples_of_its_window() -> None:
    data = waveform()
    line = PanelSpec(id="w", type="line", observables=[WAVE])
    overview = load_panel(data, line, Target(1), (600, 300))
    zoomed = load_panel(data, line, Target(1, zoom=Zoom((50_000.0, 50_300.0))), (600, 300))
    assert overview.state == zoomed.state == "ready"
    assert overview.option is not None and zoomed.option is not None
    before = series_data(overview.option["series"][0])
    after = series_data(zoomed.option["series"][0])
    raw = data.values[(WAVE, 1)]
    inside = [(x, y) for x, y in after if 50_000 <= x <= 50_300]
    assert len(inside) == 301  # every sample, where the overview had a handful
    assert len([p for p in before if 50_000 <= p[0] <= 50_300]) < 10
    assert all(y == pytest.approx(float(raw[int(x)]), rel=1e-6) for x, y in inside)
    assert after[0][0] == 0 and after[-1][0] == raw.size - 1  # outside the window, the overview is kept
    assert zoomed.option["dataZoom"] == [
        {"type": "inside", "xAxisIndex": 0, "startValue": 50_000.0, "endValue": 50_300.0}
    ]


def test_a_waveform_against_time_zooms_in_time() -> None:
    data = waveform()
    line = PanelSpec(id="w", type="line", observables=[WAVE], x=TIME)
    t, v = data.values[(TIME, 1)], data.values[(WAVE, 1)]
    window = (float(t[20_000]), float(t[20_099]))
    zoomed = load_panel(data, line, Target(1, zoom=Zoom(window)), (600, 300))
    assert zoomed.option is not None
    half_step = float(t[1] - t[0]) / 2  # the points' x arrive as float32 (within a millionth of the axis span)
    points = series_data(zoomed.option["series"][0])
    inside = [(x, y) for x, y in points if window[0] - half_step <= x <= window[1] + half_step]
    assert [x for x, _ in inside] == pytest.approx(t[20_000:20_100].tolist())
    assert [y for _, y in inside] == pytest.approx(v[20_000:20_100].tolist(), rel=1e-6)


def test_detail_of_a_wide_window_is_downsampled_and_merged_in_order() -> None:
    y = np.sin(np.arange(1_000_000) / 1000.0)
    detail = detail_points(y, None, (100_000.0, 900_000.0), 1200)
    assert detail is not None and len(detail[0]) <= 1200
    merged_x, _ = with_detail((np.arange(0, 1_000_000, 1000), y[::1000]), detail, (100_000.0, 900_000.0))
    assert np.all(np.diff(merged_x) > 0)
    assert detail_points(y, np.random.default_rng(1).random(y.size), (0.1, 0.2), 100) is None  # a scatter's x


def test_bad_zoom_windows_are_refused() -> None:
    with pytest.raises(ValueError, match="lower to a higher finite number"):
        Zoom((5.0, 1.0))
    with pytest.raises(ValueError, match="lower to a higher finite number"):
        Zoom((0.0, float("nan")))
    assert region_bounds((100, 200), Zoom((-5.0, 500.0), (-1.0, 100.0))) is None  # the whole image
    assert region_bounds((100, 200), Zoom((10.2, 19.5), (3.0, 4.5))) == (10, 3, 20, 5)


def _decode(png: bytes) -> np.ndarray[Any, Any]:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_a_zoomed_image_draws_its_region_from_the_stored_pixels() -> None:
    rng = np.random.default_rng(9)
    image = rng.integers(0, 60_000, size=(2048, 2048), dtype=np.uint16)
    data = MemoryPanelData({(CAMERA, 1): image})
    panel = PanelSpec(id="c", type="image", observables=[CAMERA])
    overview = load_panel(data, panel, Target(1), (500, 500))
    assert overview.option is not None and len(data.images) == 1
    zoomed = load_panel(data, panel, Target(1, zoom=Zoom((1000.0, 1064.0), (500.0, 564.0))), (500, 500))
    assert zoomed.option is not None and len(data.images) == 3  # the overview again, and the region
    region = _decode(data.images[-1])
    whole = _decode(data.images[0])
    scale = whole.shape[1] / 2048  # overview pixels per image pixel
    box = whole[int(500 * scale) : int(564 * scale) + 1, int(1000 * scale) : int(1064 * scale) + 1]
    distinct = len({tuple(p) for p in region.reshape(-1, 3)})
    assert distinct > 3 * len({tuple(p) for p in box.reshape(-1, 3)})  # the region's pixels, not a stretched few
    factor = region.shape[0] // 64
    assert factor >= 2 and region.shape[0] == region.shape[1] == 64 * factor  # whole image pixels, drawn sharp
    low, high = zoomed.option["visualMap"]["min"], zoomed.option["visualMap"]["max"]  # the overview's colour scale
    table = lookup_table("viridis")
    for row, column in [(0, 0), (10, 37), (63, 63)]:
        index = round((float(image[500 + row, 1000 + column]) - low) * 255 / (high - low))
        assert tuple(region[row * factor, column * factor]) == tuple(table[index])  # that very pixel's value
    regions = [s for s in zoomed.option["series"] if s.get("data") == [[1000, 500, 1064, 564]]]
    assert len(regions) == 1 and "regionRenderer" in regions[0][":renderItem"]
    assert [z["startValue"] for z in zoomed.option["dataZoom"]] == [1000, 500]
