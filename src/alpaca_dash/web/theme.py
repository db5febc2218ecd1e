"""The page frame every page shares: header, navigation, dark/light theme, the user menu and the database banner."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from nicegui import app, ui

from alpaca_dash.queries.users import User
from alpaca_dash.web.auth import LOGOUT, sign_out
from alpaca_dash.web.db_banner import add_database_banner
from alpaca_dash.web.live import LiveRuns

THEME_KEY = "theme"
THEMES = ("light", "dark")


def choose_theme(requested: str | None) -> str:
    """The theme from the URL if it names one (and remember it), else the one this browser chose last."""
    if requested in THEMES:
        app.storage.user[THEME_KEY] = requested
        return requested
    stored = app.storage.user.get(THEME_KEY)
    return stored if stored in THEMES else "light"


def _logout() -> None:
    sign_out()  # at once, for the other tabs of this session; /logout then gives the browser a new session id
    ui.navigate.to(LOGOUT)


@contextmanager
def frame(
    title: str,
    user: User | None = None,
    *,
    theme: str | None = None,
    kiosk: bool = False,
    live_runs: LiveRuns | None = None,
) -> Iterator[ui.row]:
    """Header with navigation, theme switch and user menu; the body is built inside the ``with`` block.

    In kiosk mode (a wall screen) the header is built but hidden. With ``live_runs``, a banner above the body shows
    while the database is unreachable (in kiosk mode too).

    :returns: the header's right-hand slot, where a page may add its own controls.
    """
    ui.page_title(f"{title} · Alpaca Dashboard")
    dark = ui.dark_mode(choose_theme(theme) == "dark")

    def toggle_theme() -> None:
        dark.value = not dark.value
        app.storage.user[THEME_KEY] = "dark" if dark.value else "light"

    with ui.header(value=not kiosk, elevated=True).classes("items-center gap-2 py-1 px-3 bg-slate-800"):
        ui.link("Alpaca Dashboard", "/").classes("text-white text-lg font-bold no-underline")
        ui.label("·").classes("text-white")
        ui.label(title).classes("text-white text-base").props("data-testid=page-title")
        extra = ui.row().classes("items-center gap-1 grow justify-end")
        if user is not None:
            ui.link("Dashboards", "/").classes("text-white no-underline px-2")
            ui.link("Runs", "/runs").classes("text-white no-underline px-2")
            ui.link("Jobs", "/jobs").classes("text-white no-underline px-2")
            ui.link("Quality", "/quality").classes("text-white no-underline px-2")
            ui.link("Alarms", "/alarms").classes("text-white no-underline px-2")
            if user.is_admin:
                ui.link("Admin", "/admin").classes("text-white no-underline px-2").mark("admin-link")
        ui.button(icon="contrast", on_click=toggle_theme).props("flat round dense color=white").tooltip(
            "Dark / light theme"
        )
        if user is not None:
            with ui.button(icon="account_circle").props("flat round dense color=white").mark("user-menu"):
                with ui.menu():
                    ui.item(f"{user.name} ({user.role.value})").props("disable")
                    ui.menu_item("Account and API tokens", on_click=lambda: ui.navigate.to("/account")).mark("account")
                    ui.menu_item("Log out", on_click=_logout).mark("logout")
    with ui.column().classes("w-full p-3 gap-3"):
        if live_runs is not None:
            add_database_banner(live_runs)
        yield extra
