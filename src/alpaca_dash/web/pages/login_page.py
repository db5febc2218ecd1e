"""The login page: local accounts, then back to the page that sent the user here."""

from __future__ import annotations

from nicegui import run, ui

from alpaca_dash.queries import users as user_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.web.auth import safe_redirect, session_user_id, sign_in
from alpaca_dash.web.theme import frame


def register(access: DataAccess) -> None:
    @ui.page("/login")
    async def login(redirect_to: str = "/") -> None:
        target = safe_redirect(redirect_to)
        if session_user_id() is not None:
            ui.navigate.to(target)
            return

        async def try_login() -> None:
            name, password = username.value.strip(), secret.value
            user = await run.io_bound(user_queries.authenticate, access, name, password)
            if user is None:
                message.set_text("Wrong user name or password.")
                message.set_visibility(True)
                return
            sign_in(user)
            ui.navigate.to(target)

        with frame("Sign in"), ui.card().classes("self-center w-80 mt-16"):
            ui.label("Sign in to Alpaca Dashboard").classes("text-h6")
            username = ui.input("Username").props("autofocus autocomplete=username").classes("w-full")
            secret = ui.input("Password", password=True).props("autocomplete=current-password").classes("w-full")
            secret.on("keydown.enter", try_login)
            message = ui.label().classes("text-negative")
            message.set_visibility(False)
            ui.button("Log in", on_click=try_login).classes("w-full")
