"""The login throttle: failed sign-ins are counted per name and per address in the database; past a few, the name
or address must wait, with one message whether or not the account exists, and even the right password waits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from nicegui.testing.user import User

from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.login_throttle import FREE_FAILURES, ThrottleKeys, blocked_for, record_failure
from alpaca_dash.web.pages.login_page import WRONG

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]
PASSWORD = "correct horse battery"
TOO_MANY = "Too many failed sign-ins"


async def _attempt(user: User, name: str, password: str, expect: str) -> None:
    await user.open("/login")
    user.find("Username").type(name)
    user.find("Password").type(password)
    user.find("Log in").click()
    await user.should_see(expect, retries=100)


@pytest.mark.parametrize("name", ["alice", "nobody-by-this-name"])
async def test_a_name_is_throttled_after_a_few_failures_known_or_not(
    name: str, web_user: User, accounts: dict[str, int]
) -> None:
    for _ in range(FREE_FAILURES["name"]):
        await _attempt(web_user, name, "wrong password", WRONG)
    await _attempt(web_user, name, "wrong password", WRONG)  # the one that starts the wait
    await _attempt(web_user, name, PASSWORD, TOO_MANY)  # the right password waits too
    assert (await web_user.http_client.get("/runs")).status_code == 303
    await _attempt(web_user, "bob", PASSWORD, "No dashboards yet")  # another name from here is not blocked


def test_an_address_is_throttled_across_names_and_the_wait_grows(access: DataAccess) -> None:
    free = FREE_FAILURES["address"]
    for index in range(free):
        record_failure(access, ThrottleKeys(f"name{index}", "192.0.2.1"))
    assert blocked_for(access, ThrottleKeys("fresh", "192.0.2.1")) == 0
    record_failure(access, ThrottleKeys("another", "192.0.2.1"))
    first = blocked_for(access, ThrottleKeys("fresh", "192.0.2.1"))
    assert first >= 1 and blocked_for(access, ThrottleKeys("fresh", "192.0.2.2")) == 0
    record_failure(access, ThrottleKeys("yet-another", "192.0.2.1"))
    assert blocked_for(access, ThrottleKeys("fresh", "192.0.2.1")) > first
    record_failure(access, ThrottleKeys("nul\x00name" * 100, "192.0.2.9"))  # any text is a key, cut to length
