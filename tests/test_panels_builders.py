"""The ECharts option builders are pure functions: data in, option dict out."""

from __future__ import annotations

import json

import numpy as np
import pytest

from alpaca_dash.content.alarms import Level
from alpaca_dash.content.charts.common import axis_name
from alpaca_dash.content.charts.histogram import bar_heights, build_histogram_option, compute_histogram
from alpaca_dash.content.charts.line import build_line_option
from alpaca_dash.content.charts.packed import series_data
from alpaca_dash.content.charts.scatter import build_scatter_option
from alpaca_dash.content.charts.stat import (
    DEFAULT_COLOR,
    LEVEL_FILL,
    StatOptions,
    build_stat_option,
    format_value,
    unit_text,
)
from alpaca_dash.content.charts.table import build_table_rows, short_names
from alpaca_dash.content.image_option import (
    SIDE_GAP,
    PlacedImage,
    build_image_option,
    fit_image_option,
    image_grid,
    image_grids,
)
from alpaca_dash.content.registry import chart_type, chart_types_for
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.domain import ObservableKind


def test_chart_types_follow_the_kind() -> None:
    assert chart_types_for(ObservableKind.SCALAR) == ("stat", "table", "trend", "correlation")
    assert chart_types_for("array1d") == ("line", "scatter", "histogram", "trend")
    assert chart_types_for(ObservableKind.ARRAY2D) == ("image", "trend")
    assert chart_type("table").many and chart_type("trend").across_runs and chart_type("stat").has_bounds
    with pytest.raises(ValueError, match="unknown chart type 'pie': one of stat, table, line"):
        chart_type("pie")


@pytest.mark.parametrize(
    ("value", "decimals", "shown"),
    [
        (1.23456789, None, "1.235"),
        (1.5, 2, "1.50"),
        (7, None, "7"),
        (True, None, "yes"),
        (float("nan"), None, "NaN"),
        (-0.0001, 3, "0.000"),
        (-0.0, None, "0"),
        (-0.0006, 3, "-0.001"),
        (-7, None, "-7"),
    ],
)
def test_stat_values_are_formatted_for_reading(value: float, decimals: int | None, shown: str) -> None:
    assert format_value(value, decimals) == shown


TIMES = "\N{MULTIPLICATION SIGN}"


def test_a_power_of_ten_unit_reads_as_a_factor() -> None:
    assert [unit_text(u) for u in ("1e7", "1E-3", "1e+12", "mm", "1e7 Hz", "")] == [
        f"{TIMES} 10⁷",
        f"{TIMES} 10⁻³",
        f"{TIMES} 10¹²",
        "mm",
        "1e7 Hz",
        "",
    ]
    assert build_stat_option(2.98, unit="1e7")["graphic"]["elements"][0]["style"]["text"] == f"2.98 {TIMES} 10⁷"


def test_a_stats_colour_is_the_level_of_its_bounds() -> None:
    cases: list[tuple[Level | None, str]] = [
        (None, DEFAULT_COLOR), ("ok", LEVEL_FILL["ok"]), ("warn", "#ef6c00"), ("alarm", "#d32f2f")
    ]  # fmt: skip
    for level, fill in cases:
        text = build_stat_option(2.5, unit="mm", level=level, decimals=1)["graphic"]["elements"][0]["style"]
        assert text["text"] == "2.5 mm" and text["fill"] == fill


def test_stat_thresholds_of_older_dashboards_become_bounds() -> None:
    def migrated(options: dict[str, object]) -> StatOptions:
        spec = PanelSpec.model_validate({"id": "s", "type": "stat", "observables": ["a*b"], "options": options})
        return spec.options_as(StatOptions)

    two = [{"value": 3.5, "color": "red"}, {"value": 2, "color": "orange"}]
    assert migrated({"thresholds": two, "decimals": 1}) == StatOptions(decimals=1, warn_high=2, alarm_high=3.5)
    assert migrated({"thresholds": [{"value": 1, "color": "#ff0000"}]}) == StatOptions(alarm_high=1)
    assert migrated({"thresholds": [{"value": 1, "color": "orange"}]}) == StatOptions(warn_high=1)
    # where bounds were set the badge followed them: they stay, the colours go
    assert migrated({"thresholds": two, "warn_low": -1.0}) == StatOptions(warn_low=-1)
    assert migrated({"thresholds": []}) == StatOptions()


def test_line_option_has_compact_points_and_axis_names() -> None:
    option = build_line_option(
        np.array([0.0, 1.0, 2.0]), np.array([0.1234567891, np.nan, 3.0]), x_name="t [s]", y_name="V [V]"
    )
    assert series_data(option["series"][0]) == [[0.0, 0.1234568], [1.0, None], [2.0, 3.0]]
    assert option["xAxis"]["name"] == "t [s]" and option["yAxis"]["name"] == "V [V]"
    assert option["series"][0]["showSymbol"] is False and option["animation"] is False
    json.dumps(option)  # plain JSON, nothing numpy left


def test_scatter_option_draws_points() -> None:
    option = build_scatter_option([3, 1, 2], [1, 2, 3])
    assert option["series"][0]["type"] == "scatter" and len(series_data(option["series"][0])) == 3


def test_histogram_by_bins_or_width_and_log_scale() -> None:
    values = np.array([0.0, 0.1, 0.2, 0.9, 1.0, np.nan, np.inf])
    edges, counts = compute_histogram(values, bins=2)
    assert list(counts) == [3, 2] and edges[0] == 0.0 and edges[-1] == 1.0
    edges, counts = compute_histogram(values, bin_width=0.25)
    assert len(counts) == 4 and counts.sum() == 5
    option = build_histogram_option(np.array([0.0, 1.0, 2.0]), np.array([0, 4]), x_name="V", log_y=True)
    assert option["yAxis"]["type"] == "log" and series_data(option["series"][0]) == [[0.5, None], [1.5, 4.0]]
    assert (option["xAxis"]["type"], option["xAxis"]["min"], option["xAxis"]["max"]) == ("value", 0.0, 2.0)
    edges, _ = compute_histogram(np.array([-0.97, -0.5, 0.11]), bins=7)
    other_run = np.array([-0.97, -0.96, 0.11, np.nan, 5.0])  # outside the panel's bins: not counted
    np.testing.assert_array_equal(bar_heights(other_run, edges, log_y=False), [2, 0, 0, 0, 0, 0, 1])
    assert np.isnan(bar_heights(other_run, edges, log_y=True)[1])
    assert compute_histogram(np.array([np.nan]))[1].sum() == 0
    assert len(compute_histogram(np.arange(10.0), bin_width=1e-9)[1]) == 1000


def test_image_option_places_the_png_over_pixel_axes() -> None:
    option = build_image_option(
        [PlacedImage("/api/images/abc.png")], columns=1024, rows=512, zmin=-1.0, zmax=5.0, unit="counts"
    )
    assert option["xAxis"]["max"] == 1024 and option["yAxis"]["max"] == 512 and option["yAxis"]["inverse"]
    image = option["series"][0]
    assert image[":renderItem"].split('"')[1] == "/api/images/abc.png" and "name" not in image
    assert image["data"] == [[1024, 512]] and "xAxisIndex" not in image
    assert option["visualMap"]["min"] == -1.0 and option["visualMap"]["max"] == 5.0
    assert option["visualMap"]["seriesIndex"] == 1 and option["series"][1]["type"] == "scatter"
    assert option["visualMap"]["inRange"]["color"][0] == "#440154"
    assert "visualMap" not in build_image_option(
        [PlacedImage("/x.png")], columns=2, rows=2, zmin=0, zmax=1, colorbar=False
    )


def test_images_side_by_side_share_one_colour_scale_and_the_zoom() -> None:
    grids = image_grids((900, 400), columns=64, rows=32, count=2)
    images = [PlacedImage("/a.png", "run 7"), PlacedImage("/b.png", "reference 3")]
    option = build_image_option(images, columns=64, rows=32, grids=grids, zmin=0, zmax=9, colormap="gray")
    first, second, colours = option["series"]
    assert (first["name"], second["name"]) == ("run 7", "reference 3")
    assert first[":renderItem"].split('"')[1:4:2] == ["/a.png", "run 7"]
    assert second[":renderItem"].split('"')[1:4:2] == ["/b.png", "reference 3"]
    assert (second["xAxisIndex"], second["yAxisIndex"]) == (1, 1) and "xAxisIndex" not in first
    assert [axis["gridIndex"] for axis in option["xAxis"]] == [0, 1] and option["grid"] == grids
    assert [axis["max"] for axis in option["xAxis"]] == [64, 64] and [a["max"] for a in option["yAxis"]] == [32, 32]
    assert option["yAxis"][1]["axisLabel"] == {"show": False}  # the reference's rows are the run's
    assert option["dataZoom"] == [{"type": "inside", "xAxisIndex": [0, 1]}, {"type": "inside", "yAxisIndex": [0, 1]}]
    assert colours["type"] == "scatter" and option["visualMap"]["seriesIndex"] == 2
    assert (option["visualMap"]["min"], option["visualMap"]["max"]) == (0, 9)
    assert option["visualMap"]["inRange"]["color"][-1] == "#ffffff"
    assert fit_image_option(option, (900, 400))["grid"] == grids
    refitted = fit_image_option(option, (500, 600))["grid"]
    assert len(refitted) == 2 and refitted == image_grids((500, 600), columns=64, rows=32, count=2)


def test_image_pixels_stay_square_in_any_panel() -> None:
    wide = image_grid((800, 400), columns=1024, rows=1024)  # limited by the height
    assert wide["width"] == wide["height"] == 400 - 12 - 28
    assert wide["left"] == 48 + (800 - 48 - 72 - 360) // 2 and wide["top"] == 12
    tall = image_grid((300, 900), columns=200, rows=100, colorbar=False)  # limited by the width
    assert (tall["width"], tall["height"]) == (236, 118) and tall["left"] == 48
    assert tall["top"] == 12 + (900 - 40 - 118) // 2
    tiny = image_grid((10, 10), columns=5120, rows=16)
    assert tiny["width"] >= 1 and tiny["height"] >= 1
    option = build_image_option([PlacedImage("/x.png")], columns=1024, rows=1024, zmin=0, zmax=1, grids=[wide])
    assert option["grid"] == wide and fit_image_option(option, (800, 400))["grid"] == wide
    # the colour bar is as tall as the image, beside it, and follows it when the panel is resized
    assert option["visualMap"]["itemHeight"] == wide["height"] and option["visualMap"]["top"] == 0
    resized = fit_image_option(option, (800, 600))
    assert resized["visualMap"]["itemHeight"] == resized["grid"]["height"] == 600 - 40
    assert image_grids((800, 400), columns=1024, rows=1024) == [wide]
    # two images side by side: both square-pixelled, the same size, a gap apart, centred together
    left, right = image_grids((800, 400), columns=200, rows=100, count=2)
    assert (left["width"], left["height"]) == (right["width"], right["height"]) == (334, 167)
    assert right["left"] == left["left"] + 334 + SIDE_GAP and left["top"] == right["top"]
    assert left["left"] == 48 and right["left"] + 334 == 800 - 72


def test_table_rows_show_missing_values_as_a_dash() -> None:
    rows = build_table_rows(["a*x", "a*y"], {"a*x": 1.5}, {"a*x": "mm"}, decimals=2)
    assert rows == [
        {"name": "x", "full_name": "a*x", "value": "1.50", "unit": "mm"},
        {"name": "y", "full_name": "a*y", "value": "—", "unit": ""},
    ]
    assert short_names(["A*acq_0*V", "B*acq_0*V", "A*t"]) == {
        "A*acq_0*V": "A*acq_0*V",
        "B*acq_0*V": "B*acq_0*V",
        "A*t": "t",
    }
    assert short_names(["A*x*V", "B*y*V"]) == {"A*x*V": "x*V", "B*y*V": "y*V"}


def test_small_helpers() -> None:
    assert axis_name("captorius3*acq_0*Y_[V]*V", "V") == "V [V]" and axis_name("a*b", None) == "b"
