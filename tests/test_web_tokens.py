"""The account page's API tokens, through NiceGUI's simulated browser: create one, see it once, revoke it."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from nicegui.testing.user import User
from polling import RETRIES

from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.tokens import authenticate_token, list_tokens

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]


def page_text(user: User) -> str:
    assert user.client is not None
    return json.dumps([element._to_dict() for element in user.client.elements.values()], default=str)


async def test_a_viewer_creates_sees_once_and_revokes_a_token(
    web_user: User, access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    await log_in(web_user, "victor")
    web_user.find(marker="user-menu").click()
    web_user.find(marker="account").click()
    await web_user.should_see(marker="no-tokens", retries=RETRIES)
    await web_user.should_see("victor, viewer")
    web_user.find(marker="token-name").type("nightly export")
    web_user.find(marker="create-token").click()
    await web_user.should_see(marker="new-token", retries=RETRIES)
    (shown,) = web_user.find(marker="token-value").elements
    token = shown.value  # type: ignore[attr-defined]
    owner = authenticate_token(access, token)
    assert owner is not None and owner.id == accounts["victor"]
    (record,) = list_tokens(access, accounts["victor"])
    await web_user.should_see(marker=f"token-{record.id}", retries=RETRIES)
    await web_user.should_see(marker=f"last-used-{record.id}")

    await web_user.open("/account")  # shown once: a fresh page lists the token but never shows it
    await web_user.should_see(marker=f"token-{record.id}", retries=RETRIES)
    await web_user.should_see("nightly export")
    text = page_text(web_user)
    assert token not in text and token[:10] in text
    assert "last used never" not in text  # the check above used it

    web_user.find(marker=f"revoke-{record.id}").click()
    await web_user.should_see(marker="no-tokens", retries=RETRIES)
    assert authenticate_token(access, token) is None


async def test_a_token_without_a_name_is_refused(
    web_user: User, access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    await log_in(web_user, "alice")
    await web_user.open("/account")
    await web_user.should_see(marker="no-tokens", retries=RETRIES)
    web_user.find(marker="create-token").click()
    await web_user.should_see("name the token", retries=RETRIES)
    assert list_tokens(access, accounts["alice"]) == []
    await web_user.should_not_see(marker="new-token")
