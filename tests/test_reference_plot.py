"""The difference or ratio to the reference under a waveform or a histogram: exact values, gaps where a ratio has no
meaning, a reference sampled at other x interpolated (and said so), both x axes zoomed together, and the download."""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np
from memory_panel_data import MemoryPanelData

from alpaca_dash.content.charts.common import MINUS
from alpaca_dash.content.charts.histogram import HistogramOptions
from alpaca_dash.content.charts.line import LineOptions
from alpaca_dash.content.charts.packed import series_data
from alpaca_dash.content.data import Target
from alpaca_dash.content.downloads import load_download
from alpaca_dash.content.load import load_panel
from alpaca_dash.content.reference_plot import INTERPOLATED, ReferencePlot, compared_to, reference_at
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.content.zoom import Zoom

V, T = "SSPALS*V", "SSPALS*t"
SIZE = (600, 300)
RUN_V = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
RUN_T = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])


def option_of(data: MemoryPanelData, spec: PanelSpec, target: Target) -> dict[str, Any]:
    content = load_panel(data, spec, target, SIZE)
    assert content.state == "ready", content.message
    assert content.option is not None
    option: dict[str, Any] = content.option
    return option


def sub_plot(option: dict[str, Any]) -> dict[str, Any]:
    """The series drawn in the second grid."""
    found: list[dict[str, Any]] = [s for s in option["series"] if s.get("xAxisIndex") == 1]
    assert len(found) == 1
    return found[0]


def hist_options(how: ReferencePlot, **extra: Any) -> HistogramOptions:
    return HistogramOptions(bins=3, reference_plot=how, **extra)


def line(how: ReferencePlot, **extra: Any) -> PanelSpec:
    return PanelSpec(id="w", type="line", observables=[V], x=T, options=LineOptions(reference_plot=how, **extra))


def test_a_waveforms_difference_and_ratio_on_a_shared_x_grid_are_exact() -> None:
    data = MemoryPanelData(
        {(V, 1): RUN_V, (T, 1): RUN_T, (V, 2): np.array([0.5, 0.0, 1.5, 8.0, np.nan, 2.0]), (T, 2): RUN_T.copy()}
    )
    option = option_of(data, line("difference"), Target(1, reference=2))
    difference = sub_plot(option)
    assert series_data(difference) == [[0.0, 0.5], [1.0, 2.0], [2.0, 1.5], [3.0, -4.0], [4.0, None], [5.0, 4.0]]
    assert difference["name"] == f"run 1 {MINUS} reference 2"  # the same x: nothing interpolated
    assert difference["markLine"]["data"] == [{"yAxis": 0.0}]
    # two grids, the main x axis' labels under the sub-plot, both axes over one range and zoomed together
    assert len(option["grid"]) == 2 and option["grid"][0]["bottom"] > option["grid"][1]["bottom"] + 40
    main_x, sub_x = option["xAxis"]
    assert main_x["axisLabel"]["show"] is False and sub_x["name"] == "t" and sub_x["gridIndex"] == 1
    assert (main_x["min"], main_x["max"]) == (sub_x["min"], sub_x["max"]) == (0.0, 5.0)
    assert option["yAxis"][1]["name"] == f"run {MINUS} ref"
    assert [z["xAxisIndex"] for z in option["dataZoom"]] == [[0, 1]]
    assert option["axisPointer"]["link"] == [{"xAxisIndex": "all"}]
    assert option["legend"]["data"] == ["run 1", "reference 2"]  # the sub-plot is named by its axis, not listed

    ratio = sub_plot(option_of(data, line("ratio"), Target(1, reference=2)))
    # 2 / 0 is a gap, not inf; NaN stays a gap
    assert series_data(ratio) == [[0.0, 2.0], [1.0, None], [2.0, 2.0], [3.0, 0.5], [4.0, None], [5.0, 3.0]]
    assert ratio["markLine"]["data"] == [{"yAxis": 1.0}]


def test_a_reference_sampled_at_other_x_is_interpolated_onto_the_runs_and_says_so() -> None:
    data = MemoryPanelData(
        {
            (V, 1): RUN_V,
            (T, 1): RUN_T,
            # sampled every 2 from 1 to 5, stored out of order: 0 is outside it, a gap
            (V, 2): np.array([5.0, 1.0, 3.0]),
            (T, 2): np.array([5.0, 1.0, 3.0]),
        }
    )
    option = option_of(data, line("difference"), Target(1, reference=2))
    difference = sub_plot(option)
    # the reference at t = 0..5: -, 1, 2, 3, 4, 5
    assert series_data(difference) == [[0.0, None], [1.0, 1.0], [2.0, 1.0], [3.0, 1.0], [4.0, 1.0], [5.0, 1.0]]
    assert difference["name"] == f"run 1 {MINUS} reference 2 ({INTERPOLATED})"
    at, interpolated = reference_at(3, None, np.array([7, 8], dtype=np.uint16), None)
    assert interpolated is False and at.tolist()[:2] == [7.0, 8.0] and np.isnan(at[2])  # by sample, NaN past its end


def test_integers_are_compared_exactly_in_float64() -> None:
    big = np.array([2**40 + 3, 7, 0], dtype=np.int64)
    assert compared_to(big, np.array([2**40, 2, 0], dtype=np.int64), "difference").tolist() == [3.0, 5.0, 0.0]
    ratio = compared_to(np.array([6, 0], dtype=np.uint8), np.array([4, 0], dtype=np.uint8), "ratio")
    assert ratio[0] == 1.5 and np.isnan(ratio[1])


def test_no_sub_plot_without_a_reference_or_when_the_reference_is_the_shown_run() -> None:
    data = MemoryPanelData({(V, 1): RUN_V, (T, 1): RUN_T})
    said = {None: "ratio: no reference run (pin one: R)", 1: "ratio: the shown run is the reference",
            5: "ratio: reference 5 has no value"}  # fmt: skip
    for reference, why in said.items():  # run 5 holds nothing
        option = option_of(data, line("ratio"), Target(1, reference=reference))
        assert isinstance(option["grid"], dict) and all("xAxisIndex" not in s for s in option["series"])
        assert [e["style"]["text"] for e in option["graphic"]["elements"]] == [why]  # said in the panel's corner
    assert "graphic" not in option_of(data, line("none"), Target(1, reference=5))


def test_a_zoomed_waveform_zooms_both_plots_and_draws_the_windows_differences_at_full_resolution() -> None:
    n = 100_000
    t = np.arange(n, dtype=np.float64)
    data = MemoryPanelData({(V, 1): np.sin(t / 50), (T, 1): t, (V, 2): np.sin(t / 50) - (t % 7 == 0), (T, 2): t.copy()})
    option = option_of(data, line("difference"), Target(1, reference=2, zoom=Zoom((500.0, 600.0))))
    assert option["dataZoom"] == [{"type": "inside", "xAxisIndex": [0, 1], "startValue": 500.0, "endValue": 600.0}]
    inside = [(x, d) for x, d in series_data(sub_plot(option)) if 500 <= x <= 600]
    assert len(inside) == 101  # every sample of the window, not the overview's few
    assert all(d == (1.0 if x % 7 == 0 else 0.0) for x, d in inside)


def test_a_histograms_difference_and_ratio_per_bin_are_exact() -> None:
    data = MemoryPanelData(
        {(V, 1): np.array([0.5, 1.5, 1.5, 2.5, 3.5, 3.5, 3.5]), (V, 2): np.array([0.5, 0.5, 1.5, 3.5, 3.5])}
    )
    spec = PanelSpec(id="h", type="histogram", observables=[V], options=hist_options("ratio"))
    option = option_of(data, spec, Target(1, reference=2))
    # bins [0.5, 1.5), [1.5, 2.5), [2.5, 3.5]: the run 1, 2, 4; the reference 2, 1, 2
    ratio = sub_plot(option)
    assert series_data(ratio) == [[1.0, 0.5], [2.0, 2.0], [3.0, 2.0]]
    assert ratio["step"] == "middle" and ratio["name"] == "run 1 / reference 2"
    assert (option["xAxis"][1]["min"], option["xAxis"][1]["max"]) == (0.5, 3.5)
    spec = spec.model_copy(update={"options": hist_options("difference", normalise="area")})
    difference = sub_plot(option_of(data, spec, Target(1, reference=2)))
    expected = np.array([1 / 7 - 2 / 5, 2 / 7 - 1 / 5, 4 / 7 - 2 / 5])
    # drawn as float32 (within a millionth of the span: packed.py), shown to 7 digits as the page shows them
    assert [d for _, d in series_data(difference)] == [float(f"{v:.7g}") for v in expected.astype(np.float32)]

    empty = MemoryPanelData({(V, 1): np.array([0.5, 2.0, 3.5]), (V, 2): np.array([0.5, 3.5])})
    spec = spec.model_copy(update={"options": hist_options("ratio")})
    ratio = sub_plot(option_of(empty, spec, Target(1, reference=2)))
    assert series_data(ratio) == [[1.0, 1.0], [2.0, None], [3.0, 1.0]]  # an empty reference bin is a gap


def rows_of(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode())))


def test_the_download_carries_the_difference_or_ratio_the_panel_draws() -> None:
    data = MemoryPanelData(
        {(V, 1): RUN_V, (T, 1): RUN_T, (V, 2): np.array([5.0, 1.0, 3.0]), (T, 2): np.array([5.0, 1.0, 3.0])}
    )
    rows = rows_of(load_download(data, line("ratio"), Target(1, reference=2), "csv").content)
    assert rows[0] == [T, f"{V} run 1", f"{V} reference 2", f"ratio run 1 / reference 2 ({INTERPOLATED})"]
    assert [r[3] for r in rows[1:]] == ["nan", "2.0", "1.5", "1.3333333333333333", "1.25", "1.2"]
    rows = rows_of(load_download(data, line("none"), Target(1, reference=2), "csv").content)
    assert len(rows[0]) == 3  # no sub-plot, no column

    spec = PanelSpec(id="h", type="histogram", observables=[V], options=hist_options("difference"))
    hist = MemoryPanelData({(V, 1): np.array([0.5, 1.5, 1.5, 2.5, 3.5]), (V, 2): np.array([0.5, 0.5, 3.5])})
    rows = rows_of(load_download(hist, spec, Target(1, reference=2), "csv").content)
    assert rows[0][-1] == "difference run 1 - reference 2"
    assert [r[-1] for r in rows[1:]] == ["-1.0", "2.0", "1.0"]
