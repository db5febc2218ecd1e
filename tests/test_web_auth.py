"""Login, logout, the login redirect, safe redirect targets and the health check, through the simulated browser."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from nicegui.testing.user import User
from polling import RETRIES

from alpaca_dash.web.auth import safe_redirect

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]


async def test_pages_redirect_to_login_and_back(web_user: User, accounts: dict[str, int]) -> None:
    await web_user.open("/runs")
    await web_user.should_see("Sign in to Alpaca Dashboard", retries=RETRIES)
    web_user.find("Username").type("alice")
    web_user.find("Password").type("correct horse battery")
    web_user.find("Log in").click()
    await web_user.should_see("Newest runs", retries=RETRIES)


async def test_wrong_password_is_refused(web_user: User, accounts: dict[str, int], log_in: LogIn) -> None:
    await log_in(web_user, "alice", "not the password", wait=False)
    await web_user.should_see("Wrong user name or password.", retries=RETRIES)
    response = await web_user.http_client.get("/runs")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_logout_ends_the_session(web_user: User, accounts: dict[str, int], log_in: LogIn) -> None:
    await log_in(web_user, "bob")
    await web_user.should_see("No dashboards yet", retries=RETRIES)
    web_user.find(marker="logout").click()
    await web_user.should_see("Sign in to Alpaca Dashboard", retries=RETRIES)
    response = await web_user.http_client.get("/")
    assert response.status_code == 303


async def test_health_check_and_unauthenticated_api(web_user: User) -> None:
    response = await web_user.http_client.get("/healthz")
    assert response.status_code == 200 and response.json()["database"] == "ok"
    assert (await web_user.http_client.get("/api/images/abc.png")).status_code == 401


async def test_login_with_external_redirect_stays_on_site(web_user: User, accounts: dict[str, int]) -> None:
    await web_user.open("/login?redirect_to=https://evil.example/")
    web_user.find("Username").type("alice")
    web_user.find("Password").type("correct horse battery")
    web_user.find("Log in").click()
    await web_user.should_see("Dashboards", retries=RETRIES)
    await web_user.should_see("No dashboards yet", retries=RETRIES)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/dashboard/3?run=5", "/dashboard/3?run=5"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
        (None, "/"),
        ("/ok\nLocation: x", "/"),
    ],
)
def test_safe_redirect_accepts_local_paths_only(target: str | None, expected: str) -> None:
    assert safe_redirect(target) == expected
