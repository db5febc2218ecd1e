"""The login page: local accounts, throttled per name and per address, then back to the page that sent the user
here through ``/login/finish``, which gives the browser a new session id."""

from __future__ import annotations

import logging

from nicegui import ui

from alpaca_dash.queries import login_throttle
from alpaca_dash.queries import users as user_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.login_throttle import ThrottleKeys
from alpaca_dash.web.auth import safe_redirect, session_user_id, start_sign_in
from alpaca_dash.web.forwarded import client_address
from alpaca_dash.web.theme import frame
from alpaca_dash.web.threads import in_thread

log = logging.getLogger(__name__)
WRONG = "Wrong user name or password."


def blocked_message(seconds: int) -> str:
    return f"Too many failed sign-ins from here or for this name. Try again in {seconds} s."


def register(access: DataAccess) -> None:
    @ui.page("/login")
    async def login(redirect_to: str = "/") -> None:
        target = safe_redirect(redirect_to)
        if session_user_id() is not None:
            ui.navigate.to(target)
            return
        address = client_address(ui.context.client.request)

        def refuse(text: str) -> None:
            message.set_text(text)
            message.set_visibility(True)

        async def try_login() -> None:
            name, password = (username.value or "").strip(), secret.value or ""
            who = ThrottleKeys(name, address)
            wait = await in_thread(login_throttle.blocked_for, access, who)
            if wait:
                refuse(blocked_message(wait))
                return
            user = await in_thread(user_queries.authenticate, access, name, password)
            if user is None:
                await in_thread(login_throttle.record_failure, access, who)
                log.warning("failed sign-in for %r from %s", name[:64], address)
                refuse(WRONG)
                return
            await in_thread(login_throttle.record_success, access, who)
            ui.navigate.to(start_sign_in(user, target))

        with frame("Sign in"), ui.card().classes("self-center w-80 mt-16"):
            ui.label("Sign in to Alpaca Dashboard").classes("text-h6")
            username = ui.input("Username").props("autofocus autocomplete=username maxlength=64").classes("w-full")
            secret = ui.input("Password", password=True).props("autocomplete=current-password").classes("w-full")
            secret.on("keydown.enter", try_login)
            message = ui.label().classes("text-negative").mark("login-message")
            message.set_visibility(False)
            ui.button("Log in", on_click=try_login).classes("w-full")
