"""The banner a page shows while the database is unreachable; it goes away by itself when the database is back."""

from __future__ import annotations

from nicegui import ui

from alpaca_dash.web.live import LiveRuns

DATABASE_DOWN = "Database unreachable — reconnecting… What this page shows may be out of date."


def add_database_banner(live_runs: LiveRuns) -> ui.row:
    """A banner, hidden while the database is reachable, that follows the run listener's connection state."""
    with ui.row().classes("w-full items-center gap-2 px-3 py-2 rounded bg-red-700 text-white") as banner:
        ui.icon("cloud_off")
        ui.label(DATABASE_DOWN)
    banner.props("role=alert").mark("database-down")

    async def follow(connected: bool) -> None:
        banner.set_visibility(not connected)

    live_runs.subscribe_state(ui.context.client, follow)
    banner.set_visibility(live_runs.database_down)  # after subscribing, so that no change falls in between
    return banner
