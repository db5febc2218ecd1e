"""One panel in the grid: a draggable header, a menu, and a body that shows loading, data, no data or an error."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from nicegui import ui
from nicegui.events import EChartPointClickEventArguments, GenericEventArguments

from alpaca_dash.content.charts.table import table_columns
from alpaca_dash.content.data import PanelContent
from alpaca_dash.content.registry import chart_type
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.content.zoom import Zoom
from alpaca_dash.web.dashboard.chart_updates import ChartUpdates
from alpaca_dash.web.grid import PanelGrid

PanelAction = Callable[[str], Awaitable[None] | None]
#: shows a run on the dashboard
RunAction = Callable[[int], Awaitable[Any]]
#: something done for one panel (drawing its zoomed detail)
CardAction = Callable[["PanelCard"], Awaitable[None]]
#: makes a file of the panel's data in a format and hands it to the browser
DownloadAction = Callable[["PanelCard", str], Awaitable[None]]
#: where the browser's grid column width is kept between visits
COLUMN_KEY = "grid_column_px"
#: what a chart shows until its data arrives
EMPTY_OPTION: dict[str, Any] = {"animation": False, "series": []}


class PanelCard:
    """The view of one panel; ``show`` and ``show_loading`` switch its state, nothing here loads data."""

    def __init__(
        self,
        grid: PanelGrid,
        spec: PanelSpec,
        *,
        editable: bool,
        column_px: float,
        charts: ChartUpdates,
        on_edit: PanelAction,
        on_duplicate: PanelAction,
        on_remove: PanelAction,
        on_run: RunAction | None = None,
        on_zoom: CardAction | None = None,
        on_download: DownloadAction | None = None,
    ) -> None:
        """:param on_run: called with the run of a clicked point (panels whose points are runs).
        :param on_zoom: called when the user zoomed in (``zoom`` says where) or out again, for the detail.
        :param on_download: called with a format of ``download_formats`` when the user asks for the panel's data.
        """
        self.spec = spec
        self.on_run = on_run
        self.on_zoom = on_zoom
        #: the window the user zoomed into, drawn at full resolution; None when not zoomed
        self.zoom: Zoom | None = None
        self.charts = charts
        #: the panel body's pixels: estimated until the browser reports them
        self.size = (max(40, round(spec.layout.w * column_px) - 16), max(40, spec.layout.h * grid.cell_height - 40))
        self.sized = False
        self.content: PanelContent | None = None
        self.chart: ui.echart | None = None
        #: whether the chart has drawn data (and so has been initialised in the browser)
        self.drawn = False
        self.table: ui.table | None = None
        content = grid.add_item(spec.id, spec.layout)
        self.root = content.classes("panel-card").props(f"data-panel={spec.id} data-state=loading")
        with self.root:
            with ui.row().classes("panel-head panel-drag items-center no-wrap w-full gap-1"):
                self.title = ui.label(spec.title or spec.observables[0].split("*")[-1]).classes("panel-title")
                with ui.icon("error", color="negative").classes("text-lg panel-error") as self.badge:
                    self.badge_tip = ui.tooltip("")
                self.badge.set_visibility(False)
                with ui.button(icon="more_vert").props("flat round dense size=sm").classes("panel-menu"):
                    with ui.menu():
                        if editable:
                            ui.menu_item("Edit", on_click=lambda: on_edit(spec.id)).mark(f"edit-{spec.id}")
                            ui.menu_item("Duplicate", on_click=lambda: on_duplicate(spec.id)).mark(f"copy-{spec.id}")
                            ui.menu_item("Remove", on_click=lambda: on_remove(spec.id)).mark(f"remove-{spec.id}")
                        chart = chart_type(spec.type)
                        if chart.download is not None and on_download is not None:
                            for fmt in chart.download_formats:
                                item = ui.menu_item(f"Data ({fmt.upper()})", on_click=partial(on_download, self, fmt))
                                item.mark(f"{fmt}-{spec.id}")
                        ui.menu_item("PNG", on_click=self.download_png).mark(f"png-{spec.id}")
            self.body = ui.element("div").classes("panel-body")
            with self.body:
                self.spinner = ui.spinner(size="lg").classes("absolute-center")
                self.message = ui.label().classes("absolute-center text-grey text-center panel-message")
                self.message.set_visibility(False)
        if spec.type != "table":
            # created with the page, so that ECharts loads and initialises while the data is still on its way
            self._create_chart(EMPTY_OPTION)

    @property
    def id(self) -> str:
        return self.spec.id

    def show_loading(self) -> None:
        self.spinner.set_visibility(True)

    def show(self, content: PanelContent) -> None:
        """Show the content; a chart or table is kept between runs and only its data replaced."""
        self.content = content
        self.spinner.set_visibility(False)
        if self.root.props.get("data-state") != content.state:
            self.root.props(f"data-state={content.state}")
        self.badge.set_visibility(content.state == "error")
        self.badge_tip.set_text(content.message if content.state == "error" else "")
        ready = content.state == "ready"
        self.message.set_text("" if ready else content.message)
        self.message.set_visibility(not ready)
        if content.option is not None and ready:
            self._show_chart(content.option)
        elif self.chart is not None:
            self.chart.set_visibility(False)
        if ready and content.option is None:
            self._show_table(content.rows)
        elif self.table is not None:
            self.table.set_visibility(False)

    def _create_chart(self, option: dict[str, Any]) -> None:
        with self.body:
            self.chart = ui.echart(dict(option), on_point_click=self._point_clicked if self.on_run else None)
            self.chart.classes("panel-chart")
            # marks the chart as painted, for the benchmarks and tests (in the browser only)
            self.chart.on("chart:finished", js_handler=f"() => alpaca.markPainted({self.chart.id})")
            if self.on_zoom is not None:  # the window, once the zooming settles
                self.chart.on(
                    "chart:datazoom", self._zoomed, js_handler=f"() => alpaca.zoomWindow({self.chart.id}, emit)"
                )
        self.spinner.move(self.body)  # keep the spinner above the chart

    async def _zoomed(self, event: GenericEventArguments) -> None:
        zoom = zoom_from(event.args)
        if zoom != self.zoom and self.on_zoom is not None:
            self.zoom = zoom
            await self.on_zoom(self)

    async def _point_clicked(self, event: EChartPointClickEventArguments) -> None:
        """A point of a panel across runs is a run ([x, y, run]): show that run."""
        value = event.value
        if self.on_run is not None and isinstance(value, list) and len(value) >= 3 and value[2] is not None:
            await self.on_run(int(value[2]))

    def goes_straight_to_chart(self, content: PanelContent) -> bool:
        """Whether showing ``content`` only gives a chart on screen new data, sent apart from element updates."""
        ready_chart = content.state == "ready" and content.option is not None
        return ready_chart and self.drawn and self.chart is not None and self.chart.visible

    def _show_chart(self, option: dict[str, Any]) -> None:
        if self.chart is None:
            self._create_chart(option)
            return
        if self.drawn and self.chart.visible:
            # new data for a chart on screen: straight to ECharts. An element update would make Vue render the
            # whole page again; the element's options are still kept, for any later update of the element
            dict.__setitem__(self.chart.props, "options", option)
            self.charts.add(self.chart.id, option)
            return
        self.chart.options.clear()
        self.chart.options.update(option)
        self.chart.set_visibility(True)
        self.chart.update()
        self.drawn = True

    def _show_table(self, rows: list[dict[str, str]]) -> None:
        if self.table is None:
            with self.body:
                self.table = ui.table(columns=table_columns(rows), rows=rows, row_key="name").props("dense flat")
                self.table.classes("panel-table")
            return
        self.table.columns = table_columns(rows)
        self.table.rows = rows
        self.table.set_visibility(True)
        self.table.update()

    def download_png(self) -> None:
        if self.chart is None or not self.chart.visible:
            ui.notify("Only charts can be saved as PNG.", type="warning")
            return
        name = json.dumps(png_filename(self.title.text))
        ui.run_javascript(f"alpaca.savePng({self.chart.id}, {name})")

    def set_title(self, text: str) -> None:
        self.title.set_text(text)


def zoom_from(args: Any) -> Zoom | None:
    """The zoom window the page reports (``alpaca.zoomWindow``): None when zoomed out to the whole or not a window."""
    if not isinstance(args, dict) or args.get("whole") or not isinstance(args.get("x"), list):
        return None
    try:
        x = (float(args["x"][0]), float(args["x"][1]))
        y = (float(args["y"][0]), float(args["y"][1])) if isinstance(args.get("y"), list) else None
        return Zoom(x, y)
    except (TypeError, ValueError, IndexError):
        return None


def png_filename(title: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", title).strip("_") or "panel"
    return f"{stem[:80]}.png"
