"""The quality checks: everyone sees them and exports them as JSON; editors and admins add, edit, disable, delete
and import them. Each handler checks the account and role as the database has them now."""

from __future__ import annotations

import json
from typing import Any

from nicegui import events, ui

from alpaca_dash.quality.checks import Check, CheckError, describe_settings, parse_checks
from alpaca_dash.queries import checks as check_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.checks import StoredCheck
from alpaca_dash.queries.users import Role, User
from alpaca_dash.web.auth import acting_user, require_user
from alpaca_dash.web.live import LiveRuns
from alpaca_dash.web.pages.check_dialog import KIND_LABELS, CheckDialog
from alpaca_dash.web.pages.quality_run import column
from alpaca_dash.web.theme import frame
from alpaca_dash.web.threads import in_thread

READ_ONLY = "Viewers see the checks; editors and admins change them."
#: a checks file is a few kB per hundred checks
MAX_IMPORT_BYTES = 2_000_000
COLUMNS: list[dict[str, Any]] = [
    column("name", "Name"),
    column("kind", "Check"),
    column("observable", "Observable"),
    column("enabled", "Enabled"),
    column("settings", "Settings"),
]


def check_row(stored: StoredCheck) -> dict[str, Any]:
    check = stored.check
    return {
        "id": stored.id,
        "name": check.name,
        "kind": KIND_LABELS[check.kind],
        "observable": check.observable,
        "enabled": "yes" if check.enabled else "no",
        "settings": describe_settings(check),
    }


class ChecksView:
    def __init__(self, access: DataAccess, user: User) -> None:
        self.access = access
        self.user = user
        self.stored: dict[int, StoredCheck] = {}
        with ui.row().classes("items-end gap-2 w-full"):
            search = ui.input("Filter").props("dense clearable").classes("w-64").mark("checks-filter")
            if user.can_edit:
                ui.button("Add check", icon="add", on_click=self.add).mark("check-add")
            ui.button("Export JSON", icon="download", on_click=self.export).props("outline").mark("checks-export")
            if user.can_edit:
                upload = ui.upload(auto_upload=True, on_upload=self.import_file, max_file_size=MAX_IMPORT_BYTES)
                upload.props("accept=.json").classes("hidden")
                ui.button("Import JSON", icon="upload_file", on_click=lambda: upload.run_method("pickFiles")).props(
                    "outline"
                ).tooltip("Checks exported as JSON (by name: a check of the same name is replaced)").mark(
                    "checks-import"
                )
            ui.space()
            ui.link("Quality page", "/quality")
        if not user.can_edit:
            ui.label(READ_ONLY).classes("text-grey").mark("checks-read-only")
        self.table = ui.table(columns=COLUMNS, rows=[], row_key="id", pagination=50).classes("w-full")
        self.table.props('dense flat wrap-cells no-data-label="No checks yet."').mark("checks-table")
        self.table.bind_filter_from(search, "value")
        if user.can_edit:
            self.table.classes("cursor-pointer")
            self.table.on("rowClick", self.row_clicked, args=[[], ["id"], []])
            self.dialog = CheckDialog(access, self.save, self.delete)

    async def refresh(self) -> None:
        found = await in_thread(check_queries.list_checks, self.access)
        self.stored = {stored.id: stored for stored in found}
        self.table.rows = [check_row(stored) for stored in found]

    async def _editor(self) -> bool:
        return await acting_user(self.access, Role.EDITOR, page_user=self.user, refusal=READ_ONLY) is not None

    async def add(self) -> None:
        if await self._editor():
            await self.dialog.open_new()

    async def row_clicked(self, event: Any) -> None:
        stored = self.stored.get(int(event.args[1]["id"]))
        if stored is not None and await self._editor():
            await self.dialog.open_edit(stored)

    async def save(self, check: Check, check_id: int | None) -> str | None:
        """Store one check from the dialog: None when stored, else the reason (nothing was stored)."""
        if not await self._editor():
            return READ_ONLY
        try:
            await in_thread(check_queries.save_check, self.access, check, check_id=check_id)
        except CheckError as exc:
            return str(exc)
        ui.notify(f"Check {check.name!r} saved: it judges the runs that arrive from now on.", type="positive")
        await self.refresh()
        return None

    async def delete(self, stored: StoredCheck) -> None:
        if not await self._editor():
            return
        await in_thread(check_queries.delete_check, self.access, stored.check.name)
        ui.notify(f"Check {stored.check.name!r} deleted.")
        await self.refresh()

    async def export(self) -> None:
        if await acting_user(self.access, Role.VIEWER, page_user=self.user) is None:
            return
        document = await in_thread(check_queries.export_checks, self.access)
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        ui.download.content(text.encode(), "checks.json", media_type="application/json")

    async def import_file(self, event: events.UploadEventArguments) -> None:
        if not await self._editor():
            return
        try:
            checks = parse_checks(json.loads(await event.file.read()))
            summary = await in_thread(check_queries.import_checks, self.access, checks)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            ui.notify(f"Import failed: not a JSON file ({exc}); nothing was stored", type="negative", multi_line=True)
            return
        except RecursionError:
            ui.notify("Import failed: the JSON is nested too deeply; nothing was stored", type="negative")
            return
        except CheckError as exc:
            ui.notify(f"Import failed: {exc}; nothing was stored", type="negative", multi_line=True)
            return
        ui.notify(f"{len(summary.added)} checks added, {len(summary.updated)} updated", type="positive")
        await self.refresh()


def register(access: DataAccess, live_runs: LiveRuns | None = None) -> None:
    @ui.page("/checks")
    async def checks_index(theme: str | None = None) -> None:
        user = await require_user(access)
        if user is None:
            return
        with frame("Quality checks", user, theme=theme, live_runs=live_runs):
            view = ChecksView(access, user)
        await view.refresh()
