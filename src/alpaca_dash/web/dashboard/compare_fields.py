"""The panel dialog's fields for comparing runs: which other runs a panel overlays, how a histogram is normalised,
the panel's own reference run and what is drawn against it under the plot."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from alpaca_dash.content.charts.histogram import NORMALISED_AXIS
from alpaca_dash.content.overlay import MAX_OVERLAY, Overlay, format_run_list, parse_run_list
from alpaca_dash.content.reference_plot import REFERENCE_PLOTS
from alpaca_dash.content.spec import PanelSpec

OVERLAY_MODES = {
    "none": "no other runs",
    "previous": "the previous N runs",
    "list": "these runs",
    "tagged": "runs of the trend range with a tag",
    "good": "good runs of the trend range",
}
NORMALISE = {"none": "counts", "area": "area (fraction of entries)", "peak": "peak (fraction of the highest bar)"}
assert set(NORMALISE) == set(NORMALISED_AXIS)


class CompareFields:
    """Built inside the dialog's card; shown for the chart types whose options have an overlay."""

    def __init__(self) -> None:
        with ui.column().classes("w-full gap-0") as self.section:
            ui.label(f"Compare with other runs (at most {MAX_OVERLAY})").classes("text-caption")
            with ui.row().classes("w-full items-end gap-2 no-wrap"):
                self.mode = ui.select(OVERLAY_MODES, value="none", label="Overlay").classes("w-56")
                self.mode.mark("panel-overlay")
                self.count = ui.number("N", value=5, min=1, max=MAX_OVERLAY, step=1, format="%d").classes("w-16")
                self.count.bind_visibility_from(self.mode, "value", value="previous").mark("panel-overlay-count")
                self.runs = ui.input("Runs", placeholder="390120, 390125-390127").classes("grow")
                self.runs.bind_visibility_from(self.mode, "value", value="list").mark("panel-overlay-runs")
                self.tag = ui.input("Tag").classes("w-32")
                self.tag.bind_visibility_from(self.mode, "value", value="tagged").mark("panel-overlay-tag")
        self.normalise = ui.select(NORMALISE, value="none", label="Normalise").classes("w-56")
        self.normalise.mark("panel-normalise")
        with ui.row().classes("w-full items-end gap-2 no-wrap") as self.reference_section:
            self.reference = ui.number("Reference run (empty: the dashboard's)", min=0, step=1, format="%d")
            self.reference.classes("grow").mark("panel-reference-run")
            self.reference_plot = ui.select(REFERENCE_PLOTS, value="none", label="Under the plot").classes("w-48")
            self.reference_plot.mark("panel-reference-plot")

    def fill(self, spec: PanelSpec, options: Any) -> None:
        overlay: Overlay | None = getattr(options, "overlay", None)
        self.mode.set_value("none" if overlay is None else overlay.mode)
        self.count.set_value(5 if overlay is None else overlay.count)
        self.runs.set_value("" if overlay is None else format_run_list(overlay.runs))
        self.tag.set_value("" if overlay is None else overlay.tag)
        self.normalise.set_value(getattr(options, "normalise", "none"))
        self.reference_plot.set_value(getattr(options, "reference_plot", "none"))
        self.reference.set_value(spec.reference_run)

    def show_for(self, fields: set[str], takes_reference: bool) -> None:
        self.section.set_visibility("overlay" in fields)
        self.normalise.set_visibility("normalise" in fields)
        self.reference_plot.set_visibility("reference_plot" in fields)
        self.reference_section.set_visibility(takes_reference)

    def overlay(self) -> Overlay | None:
        """The overlay as the fields say. :raises ValueError: for a run list or tag that is not understood."""
        mode = self.mode.value
        if mode in (None, "none"):
            return None
        runs = parse_run_list(self.runs.value or "") if mode == "list" else []
        count = int(self.count.value or 5)
        if not 1 <= count <= MAX_OVERLAY:
            raise ValueError(f"N: overlay between 1 and {MAX_OVERLAY} previous runs")
        return Overlay(mode=mode, count=count, runs=runs, tag=(self.tag.value or "").strip())

    def reference_run(self, takes_reference: bool) -> int | None:
        value = self.reference.value
        return int(value) if takes_reference and value is not None else None
