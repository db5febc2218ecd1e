"""The chart-type registry: one module per chart type, read by the spec, the loader and the dialog; dashboards saved
before chart types had options of their own still load."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from alpaca_dash.content.charts.histogram import HistogramOptions
from alpaca_dash.content.charts.image import ImageOptions
from alpaca_dash.content.charts.stat import StatOptions
from alpaca_dash.content.registry import chart_types
from alpaca_dash.content.schema import dashboard_file_schema
from alpaca_dash.content.spec import DashboardFileError, PanelSpec, parse_import, render_export

OLD_FILE = Path(__file__).parent / "fixtures" / "dashboard_before_chart_types.json"


def test_a_dashboard_exported_before_chart_types_had_options_of_their_own_imports() -> None:
    raw = OLD_FILE.read_bytes()
    assert '"bins": 50' in raw.decode() and '"colormap": "viridis"' in raw.decode()  # every option of every type
    imported = parse_import(raw)
    panels = {panel.id: panel for panel in imported.spec.panels}
    # its threshold colour became the warn bound the badge reads too (one setting)
    assert panels["h-offset"].options == StatOptions(decimals=3, warn_high=0.3)
    assert panels["ccd"].options == ImageOptions(colormap="inferno", z_mode="percentile", percentile_high=99.9)
    assert panels["sspals-hist"].options == HistogramOptions(bins=80, log_y=True)
    assert panels["scat"].options.model_dump() == {"unit": "mV", "overlay": None}
    assert imported.spec.reference_run == 390001
    again = parse_import(render_export(imported.title, imported.spec))
    assert again == imported
    assert "colormap" not in json.loads(render_export(imported.title, imported.spec))["spec"]["panels"][0]["options"]


def test_options_a_chart_type_does_not_know_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"options\.colour: Extra inputs are not permitted"):
        PanelSpec.model_validate({"id": "a", "type": "stat", "observables": ["x"], "options": {"colour": "red"}})
    with pytest.raises(ValidationError, match=r"options\.bins: Input should be less than or equal to 1000"):
        PanelSpec.model_validate({"id": "a", "type": "histogram", "observables": ["x"], "options": {"bins": 5000}})
    with pytest.raises(ValidationError, match="unknown chart type 'pie'"):
        PanelSpec.model_validate({"id": "a", "type": "pie", "observables": ["x"]})
    text = json.dumps({"title": "T", "spec": {"panels": [{"id": "a", "type": "pie", "observables": ["x"]}]}})
    with pytest.raises(DashboardFileError, match="unknown chart type 'pie'"):
        parse_import(text.encode())


def test_every_chart_type_declares_what_the_dialog_and_loader_need() -> None:
    names = [chart.name for chart in chart_types()]
    assert names == ["stat", "table", "line", "scatter", "histogram", "image", "trend", "correlation"]
    for chart in chart_types():
        assert chart.label and chart.kinds and chart.options().model_dump() is not None
        assert 1 <= chart.default_size[0] <= 12 and 1 <= chart.default_size[1] <= 40
    across = {chart.name for chart in chart_types() if chart.across_runs}
    bounded = {chart.name for chart in chart_types() if chart.has_bounds}
    compared = {chart.name for chart in chart_types() if chart.takes_reference}
    assert (across, bounded, compared) == (
        {"trend", "correlation"},
        {"stat", "trend"},
        {"stat", "table", "line", "scatter", "histogram", "image"},
    )


SCHEMA_FILE = Path(__file__).parents[1] / "docs" / "dashboard.schema.json"


def test_the_published_schema_is_the_registrys() -> None:
    schema = dashboard_file_schema()
    assert json.loads(SCHEMA_FILE.read_text()) == schema, (
        "regenerate docs/dashboard.schema.json (see docs/architecture.md)"
    )
    for chart in chart_types():
        panel = schema["$defs"][f"{chart.name.title()}Panel"]
        assert panel["properties"]["type"]["const"] == chart.name
        assert set(schema["$defs"][chart.options.__name__]["properties"]) == set(chart.options.model_fields)
    exported = json.loads(render_export("Demo", parse_import(OLD_FILE.read_bytes()).spec))
    jsonschema.validate(exported, schema)
    exported["spec"]["panels"][0]["options"]["bins"] = 10  # a histogram's option on a stat panel
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(exported, schema)
