"""The runs table, refreshed when the run listener hears of a committed run (nothing polls)."""

from __future__ import annotations

from nicegui import ui

from alpaca_dash.queries.access import DataAccess
from alpaca_dash.web.auth import require_user
from alpaca_dash.web.live import LiveRuns
from alpaca_dash.web.pages.open_runs import OpenInDashboard
from alpaca_dash.web.pages.runs_table import ROW_LIMIT, RunsTable
from alpaca_dash.web.theme import frame


def register(access: DataAccess, live_runs: LiveRuns | None = None) -> None:
    @ui.page("/runs")
    async def runs_index(theme: str | None = None, rows: int = ROW_LIMIT) -> None:
        user = await require_user(access)
        if user is None:
            return
        with frame("Runs", user, theme=theme, live_runs=live_runs):
            ui.label("Newest runs").classes("text-h6")
            table = RunsTable(access, user, rows=rows)
            opener = OpenInDashboard(access, user, table.table)
        await table.refresh()
        await opener.load()
        if live_runs is not None:
            await ui.context.client.connected()
            live_runs.subscribe(ui.context.client, table.refresh)
            live_runs.subscribe_recovery(ui.context.client, table.refresh)  # runs committed while it was down
