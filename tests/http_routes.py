"""The HTTP routes of the configured app, for the tests that go over every route."""

from __future__ import annotations

import httpx
from fastapi.routing import APIRoute
from nicegui import core, ui
from nicegui.testing.user import User
from starlette.routing import Route

#: public on purpose, or NiceGUI's own static assets and client machinery (guarded by unguessable client ids)
SKIPPED = ("/login", "/login/finish", "/logout", "/healthz", "/favicon.ico")
SKIPPED_PREFIXES = ("/_nicegui", "/vendor", "/docs", "/openapi.json", "/redoc")
SAMPLE_PARAMS = {"dashboard_id": "1", "token": "abc", "path": "x"}


def app_routes() -> list[tuple[str, set[str]]]:
    """Every HTTP route of the configured app except the deliberately public ones."""
    found = []
    for route in core.app.routes:
        if not isinstance(route, APIRoute | Route):
            continue
        path = route.path
        if path in SKIPPED or path.startswith(SKIPPED_PREFIXES):
            continue
        found.append((path, set(route.methods or {"GET"})))
    return found


def concrete(path: str) -> str:
    """``path`` with a sample value for each parameter."""
    for name, value in SAMPLE_PARAMS.items():
        path = path.replace("{" + name + "}", value).replace("{" + name + ":path}", value)
    assert "{" not in path, f"add a sample value for {path} to SAMPLE_PARAMS"
    return path


async def post_upload(user: User, raw: bytes, *, client: httpx.AsyncClient | None = None) -> httpx.Response:
    """Upload ``raw`` as a file to the page's upload element over HTTP, as the browser does (NiceGUI's route, with
    this browser's cookie unless another ``client`` is given)."""
    element = user.find(kind=ui.upload).elements.pop()
    url = str(element.props["url"])
    return await (client or user.http_client).post(url, files={"file": ("d.json", raw, "application/json")})


async def login_client(name: str, password: str = "correct horse battery") -> httpx.AsyncClient:
    """A second browser on the same app, signed in as ``name`` through the login page's own steps (a User)."""
    other = User(httpx.AsyncClient(transport=httpx.ASGITransport(core.app), base_url="http://test"))
    await other.open("/login")
    other.find("Username").type(name)
    other.find("Password").type(password)
    other.find("Log in").click()
    await other.should_see(marker="user-menu", retries=100)
    return other.http_client
