"""Series data packed for the browser: the precision kept, gaps, and the page's decoder agreeing with Python's."""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING

import numpy as np
import pytest

from alpaca_dash.content.charts.packed import PACKED_KEY, pack_rows, pack_values, series_data
from alpaca_dash.web.assets import STATIC

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytest_plugins = ["web_fixtures"]


def test_float32_is_used_only_where_it_keeps_the_values() -> None:
    index, volts = np.arange(2000.0), np.sin(np.arange(2000) / 100)
    assert pack_rows(index, volts).widths == "44"
    millis = 1.767e12 + np.arange(5) * 60_000.0  # start times a minute apart: float32 would merge them
    assert pack_rows(millis, volts[:5]).widths == "84"
    offset = 1000.0 + np.arange(5) * 1e-6  # a tiny signal on a large offset
    assert pack_values(offset).widths == "8"
    assert pack_values([1e300, 1.0]).widths == "8"  # beyond float32


def test_rows_round_trip_with_gaps() -> None:
    data = series_data({PACKED_KEY: pack_rows([0, 1, 2, 3], [0.1234567891, np.nan, np.inf, 1.0], [7, 8, 9, 10])})
    assert data == [[0.0, 0.1234568, 7.0], [1.0, None, 8.0], [2.0, None, 9.0], [3.0, 1.0, 10.0]]
    assert series_data({PACKED_KEY: pack_values([0.1234567891])}) == [0.1234567891]  # one value: kept exactly
    assert series_data({PACKED_KEY: pack_values([])}) == []
    assert series_data({"data": [1, 2]}) == [1, 2]  # plain data is left as it is
    packed = pack_rows([1.0, 2.0], [3.0, 4.0])
    assert series_data({PACKED_KEY: copy.deepcopy(packed)}) == [[1.0, 3.0], [2.0, 4.0]]  # copies keep their numbers


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="different lengths"):
        pack_rows([1, 2], [1])
    with pytest.raises(ValueError, match="not packed"):
        series_data({PACKED_KEY: "alert(1)"})


def test_the_page_decodes_what_python_reads(chromium: Browser) -> None:
    rng = np.random.default_rng(1)
    expressions = [
        pack_rows(np.arange(500.0), rng.normal(size=500)),
        pack_rows(1.767e12 + np.arange(3) * 1e3, [1.5, np.nan, -2.0], [390000, 390001, 390002]),
        pack_values([3.0, np.nan, 0.25, 1e-30]),
        pack_values([]),
    ]
    page = chromium.new_page()
    page.set_content("<html><body></body></html>")
    page.add_script_tag(path=STATIC / "charts.js")
    for expression in expressions:
        decoded = page.evaluate(f"() => JSON.stringify({expression})")
        assert json.loads(decoded) == series_data({PACKED_KEY: expression})
