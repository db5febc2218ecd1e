"""The account page: who you are, and your personal API tokens (create one, see it once, revoke it)."""

from __future__ import annotations

from datetime import datetime

from nicegui import ui

from alpaca_dash.queries import tokens as token_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.tokens import ApiToken, TokenError
from alpaca_dash.queries.users import Role, User
from alpaca_dash.web.auth import acting_user, require_user
from alpaca_dash.web.live import LiveRuns
from alpaca_dash.web.theme import frame
from alpaca_dash.web.threads import in_thread

ACCOUNT_ROUTE = "/account"
#: label to lifetime in days (None: until revoked)
LIFETIMES: dict[str, int | None] = {"30 days": 30, "90 days": 90, "1 year": 365, "until revoked": None}
USAGE = (
    "Scripts send a token as `Authorization: Bearer <token>` to /api/export, /api/runs, /api/trend and "
    "/api/observables, and act with your role. A token is shown once, when you create it."
)


def _when(moment: datetime | None, never: str = "never") -> str:
    return never if moment is None else moment.astimezone().strftime("%Y-%m-%d %H:%M")


class TokenSection:
    """The tokens of the signed-in user; every handler reads the user again, so a disabled account changes nothing."""

    def __init__(self, access: DataAccess, user: User) -> None:
        self.access = access
        self.user = user

    async def _fresh(self) -> User | None:
        return await acting_user(self.access, Role.VIEWER, page_user=self.user, refusal="Sign in again.")

    async def create(self, name: str, lifetime: str) -> None:
        user = await self._fresh()
        if user is None:
            return
        try:
            _, token = await in_thread(
                token_queries.create_token, self.access, user.id, name, days=LIFETIMES.get(lifetime)
            )
        except TokenError as exc:
            ui.notify(str(exc), type="negative")
            return
        self.show_once(name.strip(), token)
        self.show.refresh()

    def show_once(self, name: str, token: str) -> None:
        with ui.dialog(value=True) as dialog, ui.card().classes("min-w-[36rem]").mark("new-token"):
            ui.label(f"Token {name!r}").classes("text-h6")
            ui.label("Copy it now: it is not stored and cannot be shown again.").classes("text-warning")
            ui.input(value=token).props("readonly outlined dense").classes("w-full font-mono").mark("token-value")
            with ui.row().classes("gap-2"):
                ui.button("Copy", icon="content_copy", on_click=lambda: ui.clipboard.write(token))
                ui.button("Done", on_click=dialog.close).props("flat").mark("token-done")

    async def revoke(self, token: ApiToken) -> None:
        user = await self._fresh()
        if user is None:
            return
        try:
            await in_thread(token_queries.revoke_token, self.access, user.id, token.id)
        except TokenError as exc:
            ui.notify(str(exc), type="negative")
            return
        ui.notify(f"Revoked {token.name!r}", type="positive")
        self.show.refresh()

    @ui.refreshable_method
    async def show(self) -> None:
        tokens = await in_thread(token_queries.list_tokens, self.access, self.user.id)
        if not tokens:
            ui.label("No tokens yet.").classes("text-grey").mark("no-tokens")
        for token in tokens:
            with ui.row().classes("items-center gap-4 w-full").mark(f"token-{token.id}"):
                ui.label(token.name).classes("w-48 font-bold")
                ui.label(f"{token.prefix}…").classes("w-32 font-mono text-sm")
                ui.label(f"created {_when(token.created_at)}").classes("text-sm")
                ui.label(f"last used {_when(token.last_used_at)}").classes("text-sm").mark(f"last-used-{token.id}")
                expiry = "expired" if not token.is_active() else f"expires {_when(token.expires_at, 'never')}"
                ui.label(expiry).classes("text-sm text-grey")
                ui.button("Revoke", icon="block", on_click=lambda t=token: self.revoke(t)).props(
                    "flat dense color=negative"
                ).mark(f"revoke-{token.id}")


def register(access: DataAccess, live_runs: LiveRuns | None = None) -> None:
    @ui.page(ACCOUNT_ROUTE)
    async def account(theme: str | None = None) -> None:
        user = await require_user(access)
        if user is None:
            return
        with frame("Account", user, theme=theme, live_runs=live_runs):
            ui.label(f"{user.name}, {user.role.value}").classes("text-h6").mark("account-name")
            ui.label("API tokens").classes("text-h6")
            ui.markdown(USAGE).classes("text-grey")
            section = TokenSection(access, user)
            with ui.row().classes("items-end gap-2"):
                name = ui.input("Token name", placeholder="e.g. nightly-export").classes("w-64").mark("token-name")
                lifetime = ui.select(list(LIFETIMES), value="90 days", label="Valid for").classes("w-40")
                ui.button(
                    "Create token", icon="key", on_click=lambda: section.create(name.value or "", lifetime.value)
                ).mark("create-token")
            await section.show()
