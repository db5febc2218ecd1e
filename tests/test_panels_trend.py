"""Option builders and range handling of the panels across runs (trend, correlation), as plain functions."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from pydantic import ValidationError

from alpaca_dash.content.across_runs import resolve_runs
from alpaca_dash.content.charts.correlation import build_correlation_option
from alpaca_dash.content.charts.packed import series_data
from alpaca_dash.content.charts.trend import BAD_COLOR, TrendOptions, build_trend_option
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.run_range import RunRangeError
from alpaca_dash.web.assets import static_text
from alpaca_dash.web.dashboard.range_picker import check_runs_text


def test_trend_marks_or_hides_bad_runs() -> None:
    runs = np.array([10, 11, 12])
    values = np.array([1.0, np.nan, 3.0])
    good = np.array([True, True, False])
    option = build_trend_option(runs, values, good, y_name="H [mm]")
    assert option["xAxis"]["name"] == "run" and option["yAxis"]["name"] == "H [mm]"
    assert series_data(option["series"][0]) == [[10, 1.0, 10], [11, None, 11]]
    assert (
        series_data(option["series"][1]) == [[12, 3.0, 12]] and option["series"][1]["itemStyle"]["color"] == BAD_COLOR
    )
    hidden = build_trend_option(runs, values, good, hide_bad=True)
    assert len(hidden["series"]) == 1


def run_js(script: str) -> str:
    """What ``script`` prints, run by node after the page's chart helpers (``static/charts.js``)."""
    page = f"globalThis.window = globalThis;\n{static_text('charts.js')}\n{script}"
    done = subprocess.run(["node", "-e", page], capture_output=True, text=True, check=True, timeout=30)
    return done.stdout.strip()


def js_labels(formatter: str, values: list[float]) -> list[str]:
    """What an axis label formatter gives in JavaScript (node runs it as the page would)."""
    return list(
        json.loads(run_js(f"const f = ({formatter}); console.log(JSON.stringify({json.dumps(values)}.map(f)))"))
    )


def test_run_numbers_label_the_axis_whole_and_values_readably() -> None:
    """Run numbers are not values: 390010, not 3.9e+5 as the value axes' exponent rule would write them."""
    option = build_trend_option(np.array([390010, 390011]), np.array([1.0, 2.0]), np.array([True, True]))
    assert js_labels(option["xAxis"]["axisLabel"][":formatter"], [390010, 390015.0]) == ["390010", "390015"]
    assert js_labels(option["yAxis"]["axisLabel"][":formatter"], [5.5e6, 0.25, 0, 1e-4]) == [
        "5.5e+6",
        "0.25",
        "0",
        "1.0e-4",
    ]
    assert option["xAxis"]["axisLine"] == {"onZero": False}  # at the plot's edge, not through y = 0


def test_the_trend_tooltip_names_each_run_and_its_value() -> None:
    option = build_trend_option(np.array([390063]), np.array([4372865.25]), np.array([True]))
    points = [
        {"marker": "*", "value": [390063, 4372865.25, 390063]},
        {"marker": "!", "value": [390063, None, 390064]},
    ]
    shown = run_js(f"console.log(({option['tooltip'][':formatter']})({json.dumps(points)}))")
    assert shown == "*run 390063: 4372865<br>!run 390064: —"


def test_trend_against_start_time() -> None:
    times = np.array(["2026-01-01T00:00:00", "NaT"], dtype="datetime64[us]")
    option = build_trend_option(np.array([1, 2]), np.array([5.0, 6.0]), np.array([True, True]), times=times)
    assert option["xAxis"]["type"] == "time"
    assert series_data(option["series"][0]) == [[1767225600000, 5.0, 1], [None, 6.0, 2]]
    note = option["graphic"]["elements"][0]["style"]["text"]
    assert note.startswith("1 run without a start time not shown"), note


def test_a_time_axis_says_how_many_runs_it_cannot_place() -> None:
    """Runs without a start time have no place on a time axis: the panel says how many of the range's runs (not of
    the points drawn after thinning) it leaves out; against the run number nothing is left out and nothing said."""
    times = np.array(["2026-01-01T00:00:00", "2026-01-01T00:01:00"], dtype="datetime64[us]")
    runs, values, good = np.array([1, 2]), np.array([5.0, 6.0]), np.array([True, True])
    assert "graphic" not in build_trend_option(runs, values, good, times=times)
    thinned = build_trend_option(runs, values, good, times=times, without_time=1234)
    assert thinned["graphic"]["elements"][0]["style"]["text"].startswith("1,234 runs without a start time not shown")
    assert "graphic" not in build_trend_option(runs, values, good)


def test_correlation_keeps_the_run_for_the_tooltip() -> None:
    option = build_correlation_option(
        np.array([7, 8]), np.array([0.5, 1.5]), np.array([2.0, 4.0]), np.array([True, False]), x_name="a", y_name="b"
    )
    assert series_data(option["series"][0]) == [[0.5, 2.0, 7]] and series_data(option["series"][1]) == [[1.5, 4.0, 8]]
    point = {"value": [0.5, 2.0, 7]}
    assert run_js(f"console.log(({option['tooltip'][':formatter']})({json.dumps(point)}))") == "run 7<br>x 0.5<br>y 2"


def test_run_ranges_of_trends() -> None:
    assert (resolve_runs("last50", 1000, max_runs=20000).first, resolve_runs("last50", 1000, max_runs=20000).last) == (
        951,
        1000,
    )
    assert str(resolve_runs(None, 500, max_runs=20000)) == "301-500"
    assert str(resolve_runs("10-20", 500, max_runs=20000)) == "10-20"
    assert str(resolve_runs("last1000", 10, max_runs=20000)) == "0-10"
    with pytest.raises(RunRangeError):
        resolve_runs("1-100", 5, max_runs=50)
    assert check_runs_text("20-10", max_runs=100) == (None, check_runs_text("20-10", max_runs=100)[1])
    assert check_runs_text("20-10", max_runs=100)[1].startswith("reversed")
    assert check_runs_text(" 5-9 ", max_runs=100) == ("5-9", "")


def test_spec_of_panels_across_runs_and_old_specs() -> None:
    old = PanelSpec.model_validate({"id": "a", "type": "trend", "observables": ["x"], "options": {"unit": "mm"}})
    assert old.options == TrendOptions(unit="mm", statistic=None, trend_x="run", hide_bad=False)
    trend = PanelSpec(id="t", type="trend", observables=["w"], options={"statistic": "max", "trend_x": "time"})
    assert trend.options_as(TrendOptions).statistic == "max"
    with pytest.raises(ValidationError, match="needs an x observable"):
        PanelSpec(id="c", type="correlation", observables=["y"])
    with pytest.raises(ValidationError):
        PanelSpec(id="t", type="trend", observables=["w"], options={"statistic": "median"})
