"""The quality page for shifters: the newest runs x checks (worst checks first), a summary per run, and for one
run its results and anomaly list. A cell opens the chosen dashboard at its run.

Older runs are paged through by keyset, as on /runs. The page updates when a run's results are stored (the results'
transaction NOTIFYs, see ``timescale.notify``), not on a timer."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from alpaca_dash.content.quality_grid import build_quality_grid, grid_height
from alpaca_dash.quality.checks import CheckState
from alpaca_dash.queries import dashboards as dashboard_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.quality import RunSummary, list_cells, run_summaries
from alpaca_dash.queries.runs import list_runs
from alpaca_dash.queries.users import User
from alpaca_dash.run_range import RunRangeError, parse_run_range
from alpaca_dash.web.assets import add_quality_assets
from alpaca_dash.web.auth import require_user
from alpaca_dash.web.keyset_pager import KeysetPager
from alpaca_dash.web.live import LiveRuns
from alpaca_dash.web.pages.quality_run import RunQualityView, column
from alpaca_dash.web.theme import frame
from alpaca_dash.web.threads import in_thread

#: runs on one page: 50 runs x 200 checks is a 120 kB websocket message, well below the 256 kB budget
DEFAULT_ROWS = 50
MAX_ROWS = 80
STATES = list(CheckState)
SUMMARY_COLUMNS: list[dict[str, Any]] = [
    column("run", "Run"),
    column("flag", "Flag"),
    column("worst", "Worst"),
    *(column(s.value, s.value, "right") for s in STATES),
]


def summary_row(summary: RunSummary) -> dict[str, Any]:
    flag = "suspect" if summary.suspect else "good" if summary.good else "bad"
    worst = summary.worst
    return {
        "run": summary.run,
        "flag": flag,
        "worst": "" if worst is None else worst.value,
        **{state.value: summary.count(state) for state in STATES},
    }


class QualityView:
    def __init__(
        self,
        access: DataAccess,
        user: User,
        runs: list[int],
        dashboards: dict[int, str],
        *,
        follow_newest: bool,
        rows: int = DEFAULT_ROWS,
    ) -> None:
        self.access = access
        self.runs = runs
        self.rows = rows  # per page, when following the newest runs
        self.follow_newest = follow_newest
        with ui.row().classes("items-center gap-3"):
            self.dashboard = ui.select(dashboards, value=next(iter(dashboards), None), label="Cells open")
            self.dashboard.props("dense outlined").classes("w-64").mark("quality-dashboard")
            ui.button("Checks", icon="rule", on_click=lambda: ui.navigate.to("/checks")).props("outline")
            self.pager = KeysetPager(self.refresh, "quality")
            self.pager.row.set_visibility(follow_newest)
        self.chart = ui.echart({}, on_point_click=self.open_cell).classes("w-full").mark("quality-grid")
        self.chart.style(f"height: {grid_height(len(runs))}px")
        ui.label("Runs").classes("text-h6")
        self.table = ui.table(columns=SUMMARY_COLUMNS, rows=[], row_key="run").classes("w-full cursor-pointer")
        self.table.mark("quality-runs")
        self.table.props('no-data-label="No runs have been judged yet: add checks on the Checks page."')
        self.table.on("rowClick", self.row_clicked, args=[[], ["run"], []])
        self.detail = RunQualityView(access, user)

    async def refresh(self, _run: object = None) -> None:
        if self.follow_newest:
            self.runs, next_before = await in_thread(page_of_runs, self.access, self.pager.before, self.rows)
            self.pager.shown(self.runs, next_before)
        if not self.runs:
            return
        first, last = min(self.runs), max(self.runs)
        cells = await in_thread(list_cells, self.access, first, last)
        summaries = await in_thread(run_summaries, self.access, first, last)
        option = build_quality_grid(self.runs, cells)
        if option != self.chart.options:
            self.chart.options.clear()
            self.chart.options.update(option)
            self.chart.style(f"height: {grid_height(len(self.runs))}px")
            self.chart.update()
        rows = [summary_row(summary) for summary in summaries]
        if rows != self.table.rows:
            self.table.rows = rows

    async def judged(self, run: int) -> None:
        """A run's results were stored: show them if the run is on this page, or newer than it on the first page."""
        shown = bool(self.runs) and min(self.runs) <= run <= max(self.runs)
        if shown or (self.follow_newest and self.pager.on_newest):
            await self.refresh()

    async def row_clicked(self, event: Any) -> None:
        await self.detail.show(int(event.args[1]["run"]))

    async def open_cell(self, event: Any) -> None:
        run = self.runs[int(event.data[1])]
        if self.dashboard.value is not None:
            ui.navigate.to(f"/dashboard/{self.dashboard.value}?run={run}")
        else:
            await self.detail.show(run)


def pick_runs(access: DataAccess, runs: str | None, rows: int) -> list[int]:
    """The runs a page shows, newest first: those of ``?runs=A-B`` that are stored, else the newest ``rows``.

    :raises RunRangeError: for a malformed range or one longer than a page.
    """
    if runs:
        wanted = parse_run_range(runs, max_runs=MAX_ROWS)
        found = list_runs(access, limit=MAX_ROWS, before=wanted.last + 1)
        return [r.run for r in found if r.run >= wanted.first]
    return page_of_runs(access, None, rows)[0]


def page_of_runs(access: DataAccess, before: int | None, rows: int) -> tuple[list[int], int | None]:
    """The newest ``rows`` runs below ``before`` (all when None), newest first, and the ``before`` of the next
    (older) page, None when there is none."""
    found = [r.run for r in list_runs(access, limit=rows + 1, before=before)]
    shown = found[:rows]
    return shown, shown[-1] if len(found) > rows else None


def register(access: DataAccess, live_runs: LiveRuns | None = None) -> None:
    @ui.page("/quality")
    async def quality_index(
        theme: str | None = None, runs: str | None = None, run: int | None = None, rows: int = DEFAULT_ROWS
    ) -> None:
        user = await require_user(access)
        if user is None:
            return
        rows = min(max(rows, 1), MAX_ROWS)
        add_quality_assets()
        with frame("Quality", user, theme=theme, live_runs=live_runs):
            try:
                shown = await in_thread(pick_runs, access, runs, rows)
            except RunRangeError as exc:
                ui.label(f"Cannot show runs {runs!r}: {exc}").classes("text-negative").mark("quality-error")
                return
            owned = await in_thread(dashboard_queries.list_dashboards, access, user.id)
            dashboards = {d.id: d.title for d in owned}
            view = QualityView(access, user, shown, dashboards, follow_newest=not runs, rows=rows)
            if live_runs is not None:
                live_runs.subscribe_judged(ui.context.client, view.judged)
                live_runs.subscribe_recovery(ui.context.client, view.refresh)  # results stored while it was down
        await view.refresh()
        if run is not None:
            await view.detail.show(run)
