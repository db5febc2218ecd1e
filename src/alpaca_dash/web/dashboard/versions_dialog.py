"""The versions dialog: the kept versions of a dashboard, each restorable."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nicegui import ui

from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import Role
from alpaca_dash.web.auth import acting_user
from alpaca_dash.web.threads import in_thread

if TYPE_CHECKING:
    from alpaca_dash.web.dashboard.view import DashboardView


async def open_versions(access: DataAccess, view: DashboardView) -> None:
    versions = await in_thread(store.list_versions, access, view.dashboard.id, view.user.id)

    async def restore(version: int) -> None:
        refusal = "Viewers cannot change dashboards."
        if not view.can_edit or await acting_user(access, Role.EDITOR, page_user=view.user, refusal=refusal) is None:
            return
        await in_thread(store.restore_version, access, view.dashboard.id, view.user.id, version)
        dialog.close()
        ui.navigate.to(view.url())

    with ui.dialog() as dialog, ui.card().classes("w-[28rem]"):
        ui.label("Versions").classes("text-h6")
        for item in versions:
            with ui.row().classes("items-center w-full"):
                ui.label(f"v{item.version}").classes("w-12 font-bold")
                ui.label(f"{item.panel_count} panels · {item.saved_at:%Y-%m-%d %H:%M:%S}").classes("grow text-sm")
                if item.version != view.dashboard.version:
                    ui.button("Restore", on_click=lambda v=item.version: restore(v)).props("flat dense").mark(
                        f"restore-{item.version}"
                    )
                else:
                    ui.label("current").classes("text-grey text-sm")
        ui.button("Close", on_click=dialog.close).props("flat")
    dialog.open()
