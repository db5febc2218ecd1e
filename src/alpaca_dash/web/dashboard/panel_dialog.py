"""The add / edit panel dialog: observable(s), a chart type valid for their kind, a title and the options."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from functools import partial
from types import SimpleNamespace
from typing import Any

from nicegui import ui
from pydantic import ValidationError

from alpaca_dash.content.charts.image import ImageOptions
from alpaca_dash.content.registry import ChartType, chart_type, chart_types, chart_types_for
from alpaca_dash.content.spec import GridPosition, PanelSpec, new_panel_id
from alpaca_dash.domain import Observable, ObservableKind
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.web.dashboard.compare_fields import CompareFields
from alpaca_dash.web.dashboard.observable_select import ObservableSelect

SaveHandler = Callable[[PanelSpec], Awaitable[None]]
#: every option of every chart type at its default, to fill the fields a chart type does not have
OPTION_DEFAULTS: dict[str, Any] = {
    name: field.get_default(call_default_factory=True)
    for chart in chart_types()
    for name, field in chart.options.model_fields.items()
}
DEFAULT_SIZES = {
    "stat": (3, 3),
    "table": (4, 4),
    "line": (6, 4),
    "scatter": (6, 4),
    "histogram": (4, 4),
    "image": (4, 5),
    "trend": (6, 4),
    "correlation": (4, 4),
}
#: the warn / alarm bounds of stat and trend panels, option name to field label
BOUND_LABELS = {"warn_low": "Warn low", "warn_high": "Warn high", "alarm_low": "Alarm low", "alarm_high": "Alarm high"}
TREND_AXES = {"run": "run number", "time": "run start time"}
BAD_RUNS = {"mark": "marked in red", "hide": "hidden"}
#: how an image panel shows the dashboard's reference run
REFERENCE_VIEWS = {"side": "side by side", "difference": "difference"}


def parse_bound(text: str | None, label: str) -> float | None:
    """A warn or alarm bound as typed: empty for none, else a finite number.

    :raises ValueError: naming the field, for text that is not a finite number.
    """
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{label}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{label}: write a finite number or leave it empty")
    return value


def format_bound(value: float | None) -> str:
    """The shortest text that reads back as ``value`` exactly."""
    return "" if value is None else repr(value).removesuffix(".0")


class PanelDialog:
    """One dialog per page, built inside ``anchor`` when first opened and reused for every add and edit."""

    def __init__(self, access: DataAccess, on_save: SaveHandler, anchor: ui.element) -> None:
        self.access = access
        self.on_save = on_save
        self.anchor = anchor
        self.editing: PanelSpec | None = None
        self.built = False

    def _build(self) -> None:
        if self.built:
            return
        self.built = True
        access = self.access
        with self.anchor, ui.dialog() as self.dialog, ui.card().classes("w-[36rem] max-w-full"):
            self.heading = ui.label("Add panel").classes("text-h6")
            self.observable = ObservableSelect(access, "Observable", on_change=self._kind_changed)
            self.observable.mark("panel-observable")
            self.chart = ui.select({}, label="Chart type", on_change=self._type_changed).classes("w-full")
            self.chart.mark("panel-chart-type")
            self.title = ui.input("Title").classes("w-full").mark("panel-title")
            self.x = ObservableSelect(access, "x", kind=ObservableKind.ARRAY1D, clearable=True).mark("panel-x")
            self.more = ObservableSelect(access, "More scalars", kind=ObservableKind.SCALAR, multiple=True)
            self.more.mark("panel-more").select.props("use-chips")
            self.statistic = ui.select(["mean", "sum", "max", "min", "std"], value="mean",
                                       label="Statistic per run").classes("w-full").mark("panel-statistic")  # fmt: skip
            with ui.row().classes("w-full items-end gap-2") as self.stat_options:
                self.unit = ui.input("Unit (override)").classes("w-28")
                self.decimals = ui.number("Decimals", min=0, max=12, step=1, format="%d").classes("w-24")
            with ui.column().classes("w-full gap-0") as self.bound_options:
                bounds_note = "Warn / alarm outside these bounds (empty: none); a stat's colour follows them"
                ui.label(bounds_note).classes("text-caption")
                with ui.row().classes("w-full items-end gap-2 no-wrap"):
                    self.bounds = {
                        name: ui.input(label).classes("w-28").mark(f"panel-{name.replace('_', '-')}")
                        for name, label in BOUND_LABELS.items()
                    }
            with ui.row().classes("w-full items-end gap-2") as self.trend_options:
                self.trend_x = ui.select(TREND_AXES, value="run", label="x axis").classes("w-40").mark("panel-trend-x")
                self.bad_runs = ui.select(BAD_RUNS, value="mark", label="Bad runs").classes("w-40")
                self.bad_runs.mark("panel-bad-runs")
                self.trend_tag = ui.input("Only runs tagged").classes("w-36").mark("panel-trend-tag")
            with ui.row().classes("w-full items-end gap-2") as self.histogram_options:
                self.bins = ui.number("Bins", value=50, min=1, max=1000, step=1, format="%d").classes("w-24")
                self.bin_width = ui.number("Bin width (optional)", min=0).classes("w-40")
                self.log_y = ui.checkbox("log y")
            with ui.column().classes("w-full gap-1") as self.image_options:
                with ui.row().classes("items-end gap-2"):
                    self.colormap = ui.select(["viridis", "inferno", "magma", "gray", "coolwarm"], value="viridis",
                                              label="Colour map").classes("w-32")  # fmt: skip
                    self.z_mode = ui.select({"auto": "min-max", "percentile": "percentiles", "manual": "manual"},
                                            value="auto", label="z range").classes("w-32")  # fmt: skip
                    self.log_z = ui.checkbox("log z")
                    self.colorbar = ui.checkbox("colour bar", value=True)
                    self.reference_view = ui.select(REFERENCE_VIEWS, value="side", label="Reference run")
                    self.reference_view.classes("w-36").mark("panel-reference-view")
                with ui.row().classes("items-end gap-2"):
                    self.z_low = (
                        ui.number("z low").classes("w-24").bind_visibility_from(self.z_mode, "value", value="manual")
                    )
                    self.z_high = (
                        ui.number("z high").classes("w-24").bind_visibility_from(self.z_mode, "value", value="manual")
                    )
                    self.p_low = (
                        ui.number("low %", value=1, min=0, max=100)
                        .classes("w-24")
                        .bind_visibility_from(self.z_mode, "value", value="percentile")
                    )
                    self.p_high = (
                        ui.number("high %", value=99, min=0, max=100)
                        .classes("w-24")
                        .bind_visibility_from(self.z_mode, "value", value="percentile")
                    )
            #: which option fields each row holds, and the field of each option: shown where the chart type has it
            self.sections = {
                self.stat_options: {"unit", "decimals"},
                self.trend_options: {"trend_x", "hide_bad", "tag"},
                self.histogram_options: {"bins", "bin_width", "log_y"},
                self.image_options: set(ImageOptions.model_fields),
            }
            self.fields: dict[str, ui.element] = {
                "unit": self.unit, "decimals": self.decimals,
                "trend_x": self.trend_x, "hide_bad": self.bad_runs, "tag": self.trend_tag,
                "bins": self.bins, "bin_width": self.bin_width, "log_y": self.log_y,
                "colormap": self.colormap, "z_mode": self.z_mode, "log_z": self.log_z, "colorbar": self.colorbar,
                "reference_view": self.reference_view,
            }  # fmt: skip
            self.compare = CompareFields()
            self.error = ui.label().classes("text-negative")
            with ui.row().classes("w-full justify-end"):
                ui.button("Cancel", on_click=self.dialog.close).props("flat")
                ui.button("Save panel", on_click=self._save).mark("panel-save")

    async def open_new(self, observable: Observable | None = None) -> None:
        self._build()
        self.editing = None
        self.heading.set_text("Add panel")
        self.observable.show([observable] if observable else [])
        self._fill(PanelSpec(id="new", type="stat", observables=["-"]))
        self.dialog.open()

    async def open_edit(self, spec: PanelSpec) -> None:
        self._build()
        self.editing = spec
        await self.observable.choose(spec.observables[:1])
        await self.more.choose(spec.observables[1:])
        await self.x.choose([spec.x] if spec.x else [])
        self.heading.set_text("Edit panel")
        self._fill(spec)
        self.dialog.open()

    def _fill(self, spec: PanelSpec) -> None:
        o = SimpleNamespace(**(OPTION_DEFAULTS | spec.options.model_dump()))
        self._kind_changed()
        if self.editing is not None:
            self.chart.set_value(spec.type)
        self.title.set_value(spec.title)
        self.statistic.set_value(o.statistic if o.statistic in self.statistic.options else "mean")
        self.unit.set_value(o.unit)
        self.decimals.set_value(o.decimals)
        for name, field in self.bounds.items():
            field.set_value(format_bound(getattr(o, name)))
        self.trend_x.set_value(o.trend_x)
        self.bad_runs.set_value("hide" if o.hide_bad else "mark")
        self.trend_tag.set_value(o.tag)
        self.bins.set_value(o.bins)
        self.bin_width.set_value(o.bin_width)
        self.log_y.set_value(o.log_y)
        self.colormap.set_value(o.colormap)
        self.z_mode.set_value(o.z_mode)
        self.z_low.set_value(o.z_low)
        self.z_high.set_value(o.z_high)
        self.p_low.set_value(o.percentile_low)
        self.p_high.set_value(o.percentile_high)
        self.log_z.set_value(o.log_z)
        self.colorbar.set_value(o.colorbar)
        self.reference_view.set_value(o.reference_view)
        self.compare.fill(spec, o)
        self.error.set_text("")

    def _kind_changed(self, *_: Any) -> None:
        chosen = self.observable.observables
        types = chart_types_for(chosen[0].kind) if chosen else ()
        self.chart.set_options({t: chart_type(t).label for t in types}, value=types[0] if types else None)
        self._type_changed()

    def _chart(self) -> ChartType | None:
        return chart_type(self.chart.value) if self.chart.value else None

    def _type_changed(self, *_: Any) -> None:
        chart = self._chart()
        fields = set(chart.options.model_fields) if chart else set()
        if chart is not None and chart.x is not None:
            self.x.set_kind(chart.x.kind)
            self.x.select.props(f'label="{chart.x.label}"')
        self.x.select.set_visibility(chart is not None and chart.x is not None)
        self.statistic.set_visibility("statistic" in fields and not self._is_scalar())
        self.more.select.set_visibility(chart is not None and chart.many)
        self.bound_options.set_visibility(chart is not None and chart.has_bounds)
        for section, names in self.sections.items():
            section.set_visibility(bool(fields & names))
        for name, element in self.fields.items():
            element.set_visibility(name in fields)
        self.compare.show_for(fields, chart is not None and chart.takes_reference)

    def _is_scalar(self) -> bool:
        chosen = self.observable.observables
        return not chosen or chosen[0].kind is ObservableKind.SCALAR

    def build_spec(self) -> PanelSpec:
        """The panel as the dialog's fields describe it.

        :raises ValueError: (including pydantic's ValidationError) when a field is missing or invalid.
        """
        chart = self._chart()
        if not self.observable.names or chart is None:
            raise ValueError("choose an observable and a chart type")
        first = self.observable.names[0]
        observables = [first]
        if chart.many:
            observables += [name for name in self.more.names if name != first]
        if self.editing is not None:
            layout = self.editing.layout
            panel_id = self.editing.id
        else:
            w, h = chart.default_size
            layout = GridPosition(x=0, y=10_000, w=w, h=h)
            panel_id = new_panel_id()
        x = self.x.names[0] if chart.x is not None and self.x.names else None
        return PanelSpec(
            id=panel_id, type=chart.name, title=self.title.value or "", observables=observables, x=x,
            options=chart.options(**self._option_values(chart)), layout=layout,
            reference_run=self.compare.reference_run(chart.takes_reference),
        )  # fmt: skip

    def _option_values(self, chart: ChartType) -> dict[str, Any]:
        """The fields' values of the options ``chart`` has (only those are parsed: others may hold anything).

        :raises ValueError: naming the field, for a threshold or bound that is not understood.
        """
        fields = chart.options.model_fields
        read: dict[str, Callable[[], Any]] = {
            "unit": lambda: self.unit.value or "",
            "decimals": lambda: None if self.decimals.value is None else int(self.decimals.value),
            "bins": lambda: int(self.bins.value or 50),
            "bin_width": lambda: self.bin_width.value or None,
            "log_y": lambda: bool(self.log_y.value),
            "colormap": lambda: self.colormap.value,
            "z_mode": lambda: self.z_mode.value,
            "z_low": lambda: self.z_low.value,
            "z_high": lambda: self.z_high.value,
            "percentile_low": lambda: self.p_low.value if self.p_low.value is not None else 1.0,
            "percentile_high": lambda: self.p_high.value if self.p_high.value is not None else 99.0,
            "log_z": lambda: bool(self.log_z.value),
            "colorbar": lambda: bool(self.colorbar.value),
            "reference_view": lambda: self.reference_view.value,
            "statistic": lambda: None if self._is_scalar() else self.statistic.value,
            "trend_x": lambda: self.trend_x.value,
            "hide_bad": lambda: self.bad_runs.value == "hide",
            "tag": lambda: (self.trend_tag.value or "").strip(),
            "overlay": self.compare.overlay,
            "normalise": lambda: self.compare.normalise.value or "none",
            "reference_plot": lambda: self.compare.reference_plot.value or "none",
            **{name: partial(parse_bound, field.value, BOUND_LABELS[name]) for name, field in self.bounds.items()},
        }
        return {name: value() for name, value in read.items() if name in fields}

    async def _save(self) -> None:
        try:
            spec = self.build_spec()
        except (ValueError, ValidationError) as exc:
            self.error.set_text(str(exc).splitlines()[0] if not isinstance(exc, ValidationError) else _first(exc))
            return
        self.dialog.close()
        await self.on_save(spec)


def _first(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
