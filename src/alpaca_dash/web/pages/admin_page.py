"""The admin page, for admins only: accounts (create, change a role, disable or enable), the contact points' recent
delivery failures and the settings in effect."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from alpaca_dash.config import Settings, effective_settings
from alpaca_dash.queries import users as user_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.alarms import RETRY_POLICY, DeliveryFailure, list_delivery_failures
from alpaca_dash.queries.users import Role, User, UserError
from alpaca_dash.web.auth import acting_user, require_user
from alpaca_dash.web.live import LiveRuns
from alpaca_dash.web.pages.quality_run import column
from alpaca_dash.web.theme import frame
from alpaca_dash.web.threads import in_thread
from alpaca_dash.web.time_text import utc_text

ADMINS_ONLY = "Only admins manage users."
ROLES = [role.value for role in Role]
SETTINGS_COLUMNS: list[dict[str, Any]] = [
    {"name": "variable", "label": "Variable", "field": "variable", "align": "left"},
    {"name": "value", "label": "Value here", "field": "value", "align": "left"},
    {"name": "help", "label": "Meaning", "field": "help", "align": "left", "classes": "whitespace-normal"},
]

FAILURE_COLUMNS: list[dict[str, Any]] = [
    column("contact_point", "Contact point"),
    column("run", "Run", "right"),
    column("status", "Status"),
    column("attempts", "Attempts", "right"),
    column("next_retry", "Next retry (UTC)"),
    column("reason", "Reason"),
]


def failure_row(failure: DeliveryFailure) -> dict[str, Any]:
    return {
        "id": failure.id,
        "contact_point": failure.contact_point,
        "run": failure.run,
        "status": "retrying" if failure.retrying else "given up",
        "attempts": failure.attempts,
        "next_retry": utc_text(failure.next_attempt_at) if failure.retrying else "",
        "reason": failure.last_error,
    }


async def show_delivery_failures(access: DataAccess) -> None:
    """The newest alarm messages a contact point did not take, with the reason and when they are tried again."""
    ui.label("Contact point failures").classes("text-h6")
    ui.label(f"Alarm messages whose last delivery failed: {RETRY_POLICY}. /alarms has every message.").classes(
        "text-grey"
    )
    failures = await in_thread(list_delivery_failures, access)
    table = ui.table(columns=FAILURE_COLUMNS, rows=[failure_row(f) for f in failures], row_key="id")
    table.props('dense flat wrap-cells no-data-label="No delivery has failed."').classes("w-full")
    table.mark("delivery-failures")


class UserAdmin:
    """The page's handlers; each one reads the acting user again and refuses unless it is an enabled admin."""

    def __init__(self, access: DataAccess, page_user: User) -> None:
        self.access = access
        self.page_user = page_user

    async def _admin(self) -> User | None:
        return await acting_user(self.access, Role.ADMIN, page_user=self.page_user, refusal=ADMINS_ONLY)

    async def create(self, name: str, password: str, role: str) -> None:
        if await self._admin() is None:
            return
        try:
            await in_thread(user_queries.create_user, self.access, name, password, role)
        except UserError as exc:
            ui.notify(str(exc), type="negative")
            return
        ui.notify(f"Created {name!r}", type="positive")
        self.show.refresh()

    async def change_role(self, name: str, role: str) -> None:
        admin = await self._admin()
        if admin is None:
            return
        if name == admin.name and role != Role.ADMIN:
            ui.notify("You cannot take away your own admin role.", type="warning")
        else:
            try:
                await in_thread(user_queries.set_role, self.access, name, role)
            except UserError as exc:
                ui.notify(str(exc), type="negative")
        self.show.refresh()

    async def set_disabled(self, name: str, disabled: bool) -> None:
        admin = await self._admin()
        if admin is None:
            return
        if name == admin.name and disabled:
            ui.notify("You cannot disable yourself.", type="warning")
        else:
            try:
                await in_thread(user_queries.set_disabled, self.access, name, disabled)
            except UserError as exc:
                ui.notify(str(exc), type="negative")
        self.show.refresh()

    @ui.refreshable_method
    async def show(self) -> None:
        for user in await in_thread(user_queries.list_users, self.access):
            with ui.row().classes("items-center gap-4 w-full").mark(f"user-{user.name}"):
                ui.label(user.name).classes("w-48 text-lg")
                ui.select(
                    ROLES, value=user.role.value, on_change=lambda e, n=user.name: self.change_role(n, e.value)
                ).props("dense").classes("w-32").mark(f"role-{user.name}")
                ui.switch(
                    "disabled", value=user.disabled, on_change=lambda e, n=user.name: self.set_disabled(n, e.value)
                ).mark(f"disabled-{user.name}")
                ui.label(user.created_at.strftime("%Y-%m-%d")).classes("text-grey text-sm")


def show_settings(settings: Settings) -> None:
    """The settings this process runs with, read-only, secrets masked (they are changed where they are set)."""
    ui.label("Settings").classes("text-h6")
    ui.label(
        "Read-only: set them in the environment (ALPACA_DASH_*) or the TOML file and restart. Secrets show as ***."
    ).classes("text-grey")
    rows = [{"variable": env, "value": value, "help": text} for env, value, text in effective_settings(settings)]
    ui.table(columns=SETTINGS_COLUMNS, rows=rows, row_key="variable").props("dense flat wrap-cells").classes(
        "w-full"
    ).mark("settings-table")


def register(access: DataAccess, live_runs: LiveRuns | None = None) -> None:
    @ui.page("/admin")
    async def admin_index(theme: str | None = None) -> None:
        user = await require_user(access)
        if user is None:
            return
        with frame("Admin", user, theme=theme, live_runs=live_runs):
            if not user.is_admin:
                ui.label(ADMINS_ONLY).classes("text-negative").mark("admins-only")
                return
            page = UserAdmin(access, user)
            ui.label("Users").classes("text-h6")
            with ui.row().classes("items-end gap-2"):
                name = ui.input("New user name").classes("w-48")
                password = ui.input("Password", password=True).classes("w-48")
                role = ui.select(ROLES, value=Role.VIEWER.value, label="Role").classes("w-32")
                ui.button(
                    "Create user",
                    icon="person_add",
                    on_click=lambda: page.create(name.value, password.value, role.value),
                )
            await page.show()
            await show_delivery_failures(access)
            show_settings(access.settings)
