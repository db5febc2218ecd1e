"""CSV of a panel's shown data, from the same options the builders make."""

from __future__ import annotations

import numpy as np
import pytest

from alpaca_dash.content.charts.histogram import build_histogram_option
from alpaca_dash.content.charts.line import build_line_option
from alpaca_dash.content.charts.stat import build_stat_option
from alpaca_dash.content.charts.trend import build_trend_option
from alpaca_dash.content.panel_csv import NoCsv, build_panel_csv, panel_filename


def test_csv_of_lines_trends_histograms_and_tables() -> None:
    line = build_panel_csv(build_line_option([0, 1], [2.5, 3.5]))
    assert line == "series,x,y\n,0,2.5\n,1,3.5\n"
    trend = build_panel_csv(build_trend_option(np.array([7, 8]), np.array([1.0, 2.0]), np.array([True, False])))
    assert trend.splitlines() == ["series,x,y,run", "good runs,7,1,7", "bad runs,8,2,8"]
    hist = build_panel_csv(build_histogram_option(np.array([0.0, 1.0, 2.0]), np.array([3, 4])))
    assert hist.splitlines() == ["series,x,y", ",0.5,3", ",1.5,4"]
    rows = [{"name": "H", "full_name": "ELENA*H", "value": "1.5", "unit": "mm"}]
    assert build_panel_csv(None, rows) == "observable,value,unit\nELENA*H,1.5,mm\n"


def test_no_csv_of_a_stat_and_safe_names() -> None:
    with pytest.raises(NoCsv):
        build_panel_csv(build_stat_option(1.0))
    assert panel_filename("V [V] / run*1", "csv") == "V_V_run_1.csv"
    assert panel_filename("", "png") == "panel.png"
