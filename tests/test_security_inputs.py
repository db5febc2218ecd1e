"""Hostile input and access: dashboard imports, path traversal on the file routes, every route without a session
or as another user, and open redirects on the login page."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from http_routes import app_routes, concrete, login_client, post_upload
from nicegui import core, ui
from nicegui.testing.user import User
from polling import RETRIES

from alpaca_dash.content.spec import MAX_IMPORT_BYTES
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]
SCRIPT_TITLE = "<script>alert('x')</script><img src=x onerror=alert(1)>"


def _valid(title: str = "Imported") -> dict[str, object]:
    return {"format": "alpaca-dash/dashboard", "title": title, "spec": {"panels": []}}


HOSTILE_IMPORTS = {
    "huge": b"{" + b" " * (MAX_IMPORT_BYTES + 10) + b"}",
    "deeply nested": b"[" * 100_000 + b"]" * 100_000,
    "nested in a field": json.dumps({**_valid(), "spec": {"panels": [[[[[[[[]]]]]]]]}}).encode(),
    "not json": b"\x00\xff garbage",
    "wrong types": json.dumps({**_valid(), "title": 5, "spec": {"panels": "many"}}).encode(),
    "unknown keys": json.dumps({**_valid(), "spec": {"panels": [], "__proto__": {"admin": True}}}).encode(),
    "array at top": b"[1, 2, 3]",
    "empty title": json.dumps(_valid("   ")).encode(),
}


async def _upload(user: User, raw: bytes) -> None:
    response = await post_upload(user, raw)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("name", list(HOSTILE_IMPORTS))
async def test_hostile_imports_fail_clearly_and_change_nothing(
    name: str, web_user: User, access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    await log_in(web_user, "alice")
    await _upload(web_user, HOSTILE_IMPORTS[name])
    await web_user.should_see("Import failed", retries=RETRIES)
    assert store.list_dashboards(access, accounts["alice"]) == []


async def _chunks(total: int) -> AsyncIterator[bytes]:
    yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="d.json"\r\n\r\n'
    sent = 0
    while sent < total:
        yield b"x" * 65536
        sent += 65536


async def test_an_upload_beyond_the_limit_is_refused_by_the_server(
    web_user: User, access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    await log_in(web_user, "alice")
    response = await post_upload(web_user, b"{" + b" " * (5 * 1024 * 1024) + b"}")
    assert response.status_code == 413 and "larger than" in response.text
    url = str(web_user.find(kind=ui.upload).elements.pop().props["url"])
    streamed = await web_user.http_client.post(  # no Content-Length: counted as it arrives
        url, content=_chunks(3 * 1024 * 1024), headers={"Content-Type": "multipart/form-data; boundary=b"}
    )
    assert streamed.status_code == 413
    assert store.list_dashboards(access, accounts["alice"]) == []


async def test_an_upload_needs_the_session_that_owns_the_page(
    web_user: User, access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    raw = json.dumps(_valid("Planted")).encode()
    await log_in(web_user, "alice")
    transport = httpx.ASGITransport(core.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as stranger:
        assert (await post_upload(web_user, raw, client=stranger)).status_code == 401  # no cookie at all
    bob = await login_client("bob")
    try:
        assert (await post_upload(web_user, raw, client=bob)).status_code == 403  # signed in, but not her page
    finally:
        await bob.aclose()
    assert store.list_dashboards(access, accounts["alice"]) == []
    assert (await post_upload(web_user, raw)).status_code == 200
    await web_user.should_see("Imported 'Planted'", retries=50)


async def test_script_in_a_title_is_shown_as_text(
    web_user: User, access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    await log_in(web_user, "alice")
    await _upload(web_user, json.dumps(_valid(SCRIPT_TITLE)).encode())
    await web_user.should_see(SCRIPT_TITLE, retries=RETRIES)
    [made] = store.list_dashboards(access, accounts["alice"])
    assert made.title == SCRIPT_TITLE
    links = [e for e in web_user.find(kind=ui.link).elements if isinstance(e, ui.link) and e.text == SCRIPT_TITLE]
    assert links and all("innerHTML" not in e.props for e in links)  # text, never HTML


TRAVERSALS = [
    "/api/images/../../../etc/passwd",
    "/api/images/..%2f..%2f..%2fetc%2fpasswd.png",
    "/api/images/%2e%2e/%2e%2e/etc/passwd.png",
    "/api/images/%2e%2e%2f%2e%2e%2fetc%2fpasswd.png",
    "/api/images//etc/passwd.png",
    "/api/images/%2Fetc%2Fpasswd.png",
    "/api/export?observable=../../../etc/passwd&runs=390000",
    "/api/export?observable=%2e%2e%2f%2e%2e%2fetc%2fpasswd&runs=390000",
    "/api/export?observable=/etc/passwd&runs=390000",
    "/api/export?observable=x&runs=../../etc/passwd",
    "/vendor/../../../../etc/passwd",
    "/vendor/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
]


async def test_path_traversal_is_refused(web_user: User, accounts: dict[str, int], log_in: LogIn) -> None:
    await log_in(web_user, "alice")
    for url in TRAVERSALS:
        response = await web_user.http_client.get(url)
        assert response.status_code in (303, 400, 401, 404), url
        assert b"root:" not in response.content, url


async def test_every_route_needs_a_session(web_user: User) -> None:
    routes = app_routes()
    paths = {path for path, _ in routes}
    assert {"/", "/admin", "/runs", "/dashboard/{dashboard_id}", "/api/export"} <= paths, paths
    for path, methods in routes:
        for method in methods - {"HEAD", "OPTIONS"}:
            response = await web_user.http_client.request(method, concrete(path))
            if path.startswith("/api/"):
                assert response.status_code == 401, (method, path)
            else:
                assert response.status_code == 303, (method, path)
                assert response.headers["location"].startswith("/login?redirect_to="), (method, path)


async def test_another_users_private_dashboard_is_not_shown(
    web_user: User, access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    secret = store.create_dashboard(access, accounts["bob"], "Bob's secret plans")
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{secret.id}")
    await web_user.should_see("does not exist or belongs to someone else", retries=RETRIES)
    await web_user.should_not_see("Bob's secret plans")
    await web_user.open("/")
    await web_user.should_not_see("Bob's secret plans")
    assert (await web_user.http_client.get("/api/images/someone-elses-token.png")).status_code == 404


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "/%0d%0aX:y"]
)
async def test_login_redirects_stay_on_site(target: str, web_user: User, accounts: dict[str, int]) -> None:
    response = await web_user.http_client.get("/login", params={"redirect_to": target})
    assert response.status_code == 200
    await web_user.open(f"/login?redirect_to={target}")
    web_user.find("Username").type("alice")
    web_user.find("Password").type("correct horse battery")
    web_user.find("Log in").click()
    await web_user.should_see("No dashboards yet", retries=RETRIES)
