"""The signed-in user's dashboards and those shared with them: create, open, rename, duplicate, delete, share,
export, import."""

from __future__ import annotations

from nicegui import events, ui

from alpaca_dash.content.spec import MAX_IMPORT_BYTES, DashboardFileError, parse_import, render_export
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import Role, User
from alpaca_dash.web.auth import acting_user, require_user
from alpaca_dash.web.live import LiveRuns
from alpaca_dash.web.theme import frame
from alpaca_dash.web.threads import in_thread

READ_ONLY = "Viewers cannot change dashboards."
VISIBILITY_LABELS = {
    store.Visibility.PRIVATE: "Private",
    store.Visibility.SHARED_READ: "Shared read-only",
    store.Visibility.SHARED_EDIT: "Shared editable",
}


def export_filename(title: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in title).strip("_") or "dashboard"
    return f"{safe[:60]}.json"


class DashboardList:
    """The page's state and handlers; every handler checks the account and role as the database has them now."""

    def __init__(self, access: DataAccess, user: User) -> None:
        self.access = access
        self.user = user

    async def _allowed(self, role: Role = Role.EDITOR) -> bool:
        return await acting_user(self.access, role, page_user=self.user, refusal=READ_ONLY) is not None

    async def create(self, title: str) -> None:
        if not await self._allowed():
            return
        try:
            made = await in_thread(store.create_dashboard, self.access, self.user.id, title or "New dashboard")
        except store.DashboardError as exc:
            ui.notify(str(exc), type="negative")
            return
        ui.navigate.to(f"/dashboard/{made.id}")

    async def rename(self, dashboard_id: int, title: str) -> None:
        if not await self._allowed():
            return
        try:
            await in_thread(store.rename_dashboard, self.access, dashboard_id, self.user.id, title)
        except (store.DashboardError, store.DashboardNotFound) as exc:
            ui.notify(str(exc), type="negative")
        self.show.refresh()

    async def duplicate(self, dashboard_id: int) -> None:
        if not await self._allowed():
            return
        try:
            await in_thread(store.duplicate_dashboard, self.access, dashboard_id, self.user.id)
        except (store.DashboardError, store.DashboardNotFound) as exc:
            ui.notify(str(exc), type="negative")
        self.show.refresh()

    async def delete(self, dashboard_id: int) -> None:
        if not await self._allowed():
            return
        if not await in_thread(store.delete_dashboard, self.access, dashboard_id, self.user.id):
            ui.notify("Only the owner can delete a dashboard.", type="negative")
        self.show.refresh()

    async def share(self, dashboard_id: int, visibility: str) -> None:
        if not await self._allowed():
            return
        try:
            await in_thread(store.set_visibility, self.access, dashboard_id, self.user.id, visibility)
        except (store.DashboardError, store.DashboardNotFound) as exc:
            ui.notify(str(exc), type="negative")
        self.show.refresh()

    async def export(self, dashboard_id: int) -> None:
        if not await self._allowed(Role.VIEWER):
            return
        found = await in_thread(store.get_dashboard, self.access, dashboard_id, self.user.id)
        if found is not None:
            ui.download.content(render_export(found.title, found.spec), export_filename(found.title))

    async def import_file(self, event: events.UploadEventArguments) -> None:
        if not await self._allowed():
            return
        try:
            parsed = parse_import(await event.file.read())
            await in_thread(store.create_dashboard, self.access, self.user.id, parsed.title, parsed.spec)
        except (DashboardFileError, store.DashboardError) as exc:
            ui.notify(f"Import failed: {exc}", type="negative", multi_line=True)
            return
        except RecursionError:  # the JSON decoder's answer to thousands of nested brackets
            ui.notify("Import failed: the JSON is nested too deeply", type="negative")
            return
        ui.notify(f"Imported {parsed.title!r}", type="positive")
        self.show.refresh()

    def ask_rename(self, summary: store.DashboardSummary) -> None:
        with ui.dialog() as dialog, ui.card():
            field = ui.input("Title", value=summary.title).classes("w-72")

            async def apply() -> None:
                dialog.close()
                await self.rename(summary.id, field.value)

            ui.button("Rename", on_click=apply).mark("rename-apply")
        dialog.open()

    def ask_delete(self, summary: store.DashboardSummary) -> None:
        with ui.dialog() as dialog, ui.card():
            ui.label(f"Delete {summary.title!r} and all its versions?")

            async def apply() -> None:
                dialog.close()
                await self.delete(summary.id)

            with ui.row():
                ui.button("Cancel", on_click=dialog.close).props("flat")
                ui.button("Delete", on_click=apply).props("color=negative").mark("delete-apply")
        dialog.open()

    @ui.refreshable_method
    async def show(self) -> None:
        items = await in_thread(store.list_dashboards, self.access, self.user.id)
        if not items:
            ui.label("No dashboards yet." + (" Create one above." if self.user.can_edit else "")).classes("text-grey")
        for item in items:
            with (
                ui.card().classes("w-full").props(f"data-dashboard={item.id}"),
                ui.row().classes("items-center w-full"),
            ):
                ui.link(item.title, f"/dashboard/{item.id}").classes("text-lg")
                ui.label(f"{item.panel_count} panels · version {item.version}").classes("text-grey text-sm")
                ui.label(item.updated_at.strftime("%Y-%m-%d %H:%M")).classes("text-grey text-sm")
                mine = not item.is_shared_with(self.user.id)
                if not mine:
                    ui.badge(f"shared by {item.owner_name}", color="grey").props(
                        f"outline data-shared={item.visibility.value}"
                    )
                ui.space()
                if mine and self.user.can_edit:
                    ui.select(
                        {v.value: label for v, label in VISIBILITY_LABELS.items()},
                        value=item.visibility.value,
                        on_change=lambda e, i=item.id: self.share(i, e.value),
                    ).props("dense borderless").classes("w-40").mark(f"visibility-{item.id}")
                editable = mine or item.visibility == store.Visibility.SHARED_EDIT
                if self.user.can_edit and editable:
                    ui.button(icon="edit", on_click=lambda s=item: self.ask_rename(s)).props("flat dense").tooltip(
                        "Rename"
                    ).mark(f"rename-{item.id}")
                if self.user.can_edit:
                    ui.button(icon="content_copy", on_click=lambda i=item.id: self.duplicate(i)).props(
                        "flat dense"
                    ).tooltip("Duplicate").mark(f"duplicate-{item.id}")
                ui.button(icon="download", on_click=lambda i=item.id: self.export(i)).props("flat dense").tooltip(
                    "Export JSON"
                ).mark(f"export-{item.id}")
                if self.user.can_edit and mine:
                    ui.button(icon="delete", on_click=lambda s=item: self.ask_delete(s)).props(
                        "flat dense color=negative"
                    ).tooltip("Delete").mark(f"delete-{item.id}")


def register(access: DataAccess, live_runs: LiveRuns | None = None) -> None:
    @ui.page("/")
    async def dashboards_index(theme: str | None = None) -> None:
        user = await require_user(access)
        if user is None:
            return
        page = DashboardList(access, user)
        with frame("Dashboards", user, theme=theme, live_runs=live_runs):
            if user.can_edit:
                with ui.row().classes("items-center gap-2"):
                    title = ui.input("New dashboard title").classes("w-72")
                    title.on("keydown.enter", lambda: page.create(title.value))
                    ui.button("Create", icon="add", on_click=lambda: page.create(title.value))
                    # the uploader's own box (a file list, a progress line) is hidden behind a plain button
                    upload = ui.upload(auto_upload=True, on_upload=page.import_file, max_file_size=MAX_IMPORT_BYTES)
                    upload.props("accept=.json").classes("hidden")
                    ui.button("Import JSON", icon="upload_file", on_click=lambda: upload.run_method("pickFiles")).props(
                        "outline"
                    ).tooltip("A dashboard exported as JSON, from here or from another installation")
            await page.show()
