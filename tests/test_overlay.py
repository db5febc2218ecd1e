"""Overlays of several runs and a visible reference, drawn by line, scatter, histogram, stat and table panels from
the runs of a real database."""

from __future__ import annotations

import pytest

from alpaca_dash.content.charts.histogram import HistogramOptions
from alpaca_dash.content.charts.line import LineOptions
from alpaca_dash.content.charts.packed import series_data
from alpaca_dash.content.charts.scatter import ScatterOptions
from alpaca_dash.content.charts.table import table_columns
from alpaca_dash.content.charts.trend import TrendOptions
from alpaca_dash.content.data import Target
from alpaca_dash.content.overlay import (
    MAX_OVERLAY,
    PALETTE,
    REFERENCE_COLOR,
    SHOWN_COLOR,
    Overlay,
    OverlayError,
    format_run_list,
    parse_run_list,
)
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.pipeline.ingest import ingest_range
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.panel_data import load_panel
from alpaca_dash.queries.runs import update_run_meta
from alpaca_dash.run_range import RunRange
from alpaca_dash.sources.simulated import SSPALS, SimulatedSource

pytest_plugins = ["web_fixtures"]
WAVE = f"{SSPALS}*V"
SIZE = (600, 300)


def publish(png: bytes) -> str:
    return "/image/x"


def load(access: DataAccess, spec: PanelSpec, target: Target) -> tuple[str, dict, list]:  # type: ignore[type-arg]
    content = load_panel(access, spec, target, SIZE, publish)
    return content.state, content.option or {}, content.rows or [content.message]


def names(option: dict) -> list[str]:  # type: ignore[type-arg]
    return [str(s.get("name", "")) for s in option["series"]]


def test_run_lists_as_people_write_them() -> None:
    assert parse_run_list("390120, 390125-390127") == [390120, 390125, 390126, 390127]
    assert parse_run_list(" 5,5 ,3-4,") == [3, 4, 5]
    assert format_run_list([390127, 390120, 390125, 390126]) == "390120, 390125-390127"
    for bad, said in [("390120; 2", "not a run number"), ("9-3", "reversed"), ("1-21", "at most 20"),
                      (", ".join(str(n) for n in range(0, 42, 2)), "at most 20")]:  # fmt: skip
        with pytest.raises(OverlayError, match=said):
            parse_run_list(bad)
    with pytest.raises(ValueError, match="list the runs"):
        Overlay(mode="list")
    with pytest.raises(ValueError, match="less than or equal to 20"):
        Overlay(mode="previous", count=MAX_OVERLAY + 1)


def test_a_waveform_overlays_the_previous_runs_with_the_shown_run_on_top(seeded_access: DataAccess) -> None:
    spec = PanelSpec(
        id="w", type="line", observables=[WAVE], x=f"{SSPALS}*t",
        options=LineOptions(overlay=Overlay(mode="previous", count=2)),
    )  # fmt: skip
    state, option, _ = load(seeded_access, spec, Target(390003))
    assert state == "ready"
    assert names(option) == ["run 390003", "run 390002", "run 390001"]
    assert option["legend"]["data"] == names(option)
    shown, *others = option["series"]
    assert shown["lineStyle"]["color"] == SHOWN_COLOR and shown["z"] > max(s["z"] for s in others)
    assert [s["lineStyle"]["color"] for s in others] == list(PALETTE[:2])
    assert all(len(series_data(s)) > 100 for s in option["series"])
    assert series_data(others[0]) != series_data(shown)
    # "previous N" moves with the shown run: at the first run there is nothing before it
    state, option, _ = load(seeded_access, spec, Target(390000))
    assert names(option) == [""] and "legend" not in option


def test_a_listed_overlay_and_the_reference_in_its_own_colour(seeded_access: DataAccess) -> None:
    spec = PanelSpec(
        id="w", type="line", observables=[WAVE],
        options=LineOptions(overlay=Overlay(mode="list", runs=[390000, 390001, 390002, 399999])),
    )  # fmt: skip
    _, option, _ = load(seeded_access, spec, Target(390002, reference=390003))
    # the shown run is not drawn twice; a listed run without data is left out
    assert names(option) == ["run 390002", "run 390001", "run 390000", "reference 390003"]
    reference = option["series"][-1]
    assert reference["lineStyle"] == {"width": 2, "type": "dashed", "color": REFERENCE_COLOR}


def test_runs_of_the_trend_range_with_a_tag_or_the_good_flag(seeded_access: DataAccess) -> None:
    for run in (390000, 390002):
        update_run_meta(seeded_access, run, tags=["calibration"])
    update_run_meta(seeded_access, 390001, good=False)
    spec = PanelSpec(
        id="h", type="histogram", observables=[WAVE],
        options=HistogramOptions(overlay=Overlay(mode="tagged", tag="calibration"), normalise="area"),
    )  # fmt: skip
    state, option, _ = load(seeded_access, spec, Target(390003, RunRange(390000, 390003)))
    assert state == "ready" and names(option) == ["run 390003", "run 390002", "run 390000"]
    for series in option["series"]:  # normalised: every run's bars add up to one
        heights = [row[1] for row in series_data(series) if row[1] is not None]
        assert sum(heights) == pytest.approx(1, abs=1e-5)
    assert option["series"][1]["step"] == "middle" and option["yAxis"]["name"] == "fraction of entries"
    # the trend range limits the runs
    _, option, _ = load(seeded_access, spec, Target(390003, RunRange(390001, 390003)))
    assert names(option) == ["run 390003", "run 390002"]
    good = spec.model_copy(update={"options": HistogramOptions(overlay=Overlay(mode="good"), normalise="peak")})
    _, option, _ = load(seeded_access, good, Target(390003, RunRange(390000, 390003)))
    assert names(option) == ["run 390003", "run 390002", "run 390000"]
    assert max(row[1] for row in series_data(option["series"][1]) if row[1] is not None) == pytest.approx(1)


def test_more_than_twenty_runs_of_a_tag_are_refused_clearly(seeded_access: DataAccess) -> None:
    source = SimulatedSource(seed=7, first_run=390000, history=30, image_size=8, waveform_samples=50)
    ingest_range(seeded_access.db, seeded_access.store, source, 390004, 390026)
    spec = PanelSpec(id="s", type="scatter", observables=[WAVE], options=ScatterOptions(overlay=Overlay(mode="good")))
    state, _, message = load(seeded_access, spec, Target(390026, RunRange(390000, 390026)))
    assert state == "error" and "at most 20 can be overlaid" in message[0]
    state, option, _ = load(seeded_access, spec, Target(390026, RunRange(390010, 390026)))
    assert state == "ready" and len(option["series"]) == 17


def test_stat_and_table_show_the_reference_value_and_the_difference(seeded_access: DataAccess) -> None:
    name = "ELENA_Parameters*H_offset_mm"
    stat = PanelSpec(id="s", type="stat", observables=[name])
    _, option, _ = load(seeded_access, stat, Target(390002, reference=390000))
    caption = option["graphic"]["elements"][1]["style"]["text"]
    values = [load_panel(seeded_access, stat, Target(run), SIZE, publish).value for run in (390002, 390000)]
    assert values[0] is not None and values[1] is not None
    delta = values[0] - values[1]
    assert caption.startswith(f"reference 390000: {values[1]:.4g} · Δ {'+' if delta > 0 else ''}{delta:.4g}")
    assert caption.endswith(f"({100 * delta / abs(values[1]):+.1f}%)")
    table = PanelSpec(id="t", type="table", observables=[name, "ELENA_Parameters*V_offset_mm"])
    _, _, rows = load(seeded_access, table, Target(390002, reference=390000))
    assert [c["name"] for c in table_columns(rows)] == ["name", "value", "reference", "delta", "unit"]
    assert rows[0]["reference"] == f"{values[1]:.4g}" and rows[0]["delta"].startswith(f"{delta:+.4g}"[:4])
    _, _, rows = load(seeded_access, table, Target(390002))
    assert [c["name"] for c in table_columns(rows)] == ["name", "value", "unit"]


def test_a_panel_reference_overrides_the_dashboards() -> None:
    panel = PanelSpec(id="w", type="line", observables=[WAVE], reference_run=390001)
    assert panel.reference_for(390000) == 390001
    assert panel.model_copy(update={"reference_run": None}).reference_for(390000) == 390000
    with pytest.raises(ValueError, match="draws no reference"):
        PanelSpec(id="t", type="trend", observables=[WAVE], reference_run=1)


def test_a_trend_limited_to_the_runs_with_a_tag(seeded_access: DataAccess) -> None:
    for run in (390000, 390003):
        update_run_meta(seeded_access, run, tags=["calibration"])
    update_run_meta(seeded_access, 390003, comment="beam <lost>")
    spec = PanelSpec(id="t", type="trend", observables=["ELENA_Parameters*H_offset_mm"],
                     options=TrendOptions(tag="calibration"))  # fmt: skip
    state, option, _ = load(seeded_access, spec, Target(390002, RunRange(390000, 390003)))
    assert state == "ready" and [p[0] for p in series_data(option["series"][0])] == [390000, 390003]
    assert option["series"][0]["markLine"]["data"] == [{"xAxis": 390002.0}]
    notes = option["series"][-1]  # comments and tags pinned on their runs' points
    assert notes["name"] == "notes" and [(p["value"][2], p["note"]) for p in notes["data"]] == [
        (390000, "calibration"),
        (390003, "beam <lost> · calibration"),
    ]
    none = spec.model_copy(update={"options": TrendOptions(tag="nothing")})
    state, _, message = load(seeded_access, none, Target(390002, RunRange(390000, 390003)))
    assert state == "nodata" and message == ["No runs of 390000-390003 are tagged 'nothing'"]
