"""From the runs table into a dashboard: the ticked run opens in one of the user's dashboards; two ticked runs open
it with the newer shown and the older as its reference."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import User
from alpaca_dash.web.threads import in_thread


def dashboard_address(dashboard_id: int, runs: list[int]) -> str:
    """The dashboard at the one run, or at the newer of two with the older as reference.

    :raises ValueError: for no runs or more than two.
    """
    if not 1 <= len(runs) <= 2:
        raise ValueError("tick one run to open it, or two to compare them (the older as reference)")
    shown, *others = sorted(runs, reverse=True)
    reference = f"&reference={others[0]}" if others else ""
    return f"/dashboard/{dashboard_id}?run={shown}{reference}"


class OpenInDashboard:
    """A dashboard picker and a button under the runs table, for the rows ticked in ``table``."""

    def __init__(self, access: DataAccess, user: User, table: ui.table) -> None:
        self.access = access
        self.user = user
        self.table = table
        with ui.row().classes("items-end gap-2"):
            self.dashboard = ui.select({}, label="Dashboard").props("dense outlined").classes("w-64")
            self.dashboard.mark("open-dashboard")
            ui.button("Open the ticked runs", icon="open_in_new", on_click=self.open).mark("open-runs").tooltip(
                "One run: that run. Two: the newer, with the older as reference."
            )

    async def load(self) -> None:
        found = await in_thread(store.list_dashboards, self.access, self.user.id)
        choices = {item.id: item.title for item in found}
        self.dashboard.set_options(choices, value=next(iter(choices), None))

    def open(self) -> None:
        if self.dashboard.value is None:
            ui.notify("You have no dashboard yet: create one first.", type="warning")
            return
        selected: list[dict[str, Any]] = self.table.selected
        try:
            address = dashboard_address(int(self.dashboard.value), [int(row["run"]) for row in selected])
        except ValueError as exc:
            ui.notify(str(exc), type="warning")
            return
        ui.navigate.to(address)
