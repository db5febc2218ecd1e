"""The real nginx (Debian's) with nginx.conf in front of the real app: login over https, the dashboard and its
websocket work through the proxy, X-Forwarded-For from a client is overwritten, foreign websocket origins get 403."""

from __future__ import annotations

import http.client
import json
import re
import shutil
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, WebSocket, expect
from polling import TIMEOUT_MS

from alpaca_dash.content.spec import DashboardSpec, PanelSpec
from alpaca_dash.queries import dashboards as store
from alpaca_dash.web.testserver import free_port

from nginx_local import adapt_config, certificate, running_nginx

if TYPE_CHECKING:
    from web_fixtures import BrowserSite

pytest_plugins = ["web_fixtures"]
PASSWORD = "correct horse battery"
pytestmark = pytest.mark.skipif(shutil.which("nginx") is None, reason="needs Debian's nginx")
ROOT = Path(__file__).resolve().parents[1]
H_OFFSET = "ELENA_Parameters*H_offset_mm"


class _EchoHeaders(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps(dict(self.headers.items())).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def echo_port() -> Iterator[int]:
    """A tiny upstream that answers with the request headers it received."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHeaders)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def nginx_url(browser_site: BrowserSite, echo_port: int, tmp_path: Path) -> Iterator[str]:
    folder = tmp_path / "nginx"
    folder.mkdir()
    certificate(folder / "tls")
    app_port = int(browser_site.url.rsplit(":", 1)[1])
    https_port, http_port = free_port(), free_port()
    echo = f"        location = /__echo_headers {{\n            proxy_pass http://127.0.0.1:{echo_port};\n        }}\n"
    text = adapt_config(
        (ROOT / "nginx.conf").read_text(), folder, [app_port], http_port, https_port, extra_location=echo
    )
    with running_nginx(text, folder, https_port) as url:
        yield url


def _https(url: str) -> http.client.HTTPSConnection:
    host, port = url.removeprefix("https://").split(":")
    return http.client.HTTPSConnection(host, int(port), context=ssl._create_unverified_context(), timeout=10)


def test_login_dashboard_and_websocket_through_nginx(
    browser_site: BrowserSite, nginx_url: str, chromium: Browser
) -> None:
    spec = DashboardSpec(panels=[PanelSpec(id="a", type="stat", title="Offset", observables=[H_OFFSET])])
    made = store.create_dashboard(browser_site.access, browser_site.users["alice"], "Through nginx", spec)
    context = chromium.new_context(ignore_https_errors=True)
    page = context.new_page()
    sockets: list[WebSocket] = []
    page.on("websocket", lambda ws: sockets.append(ws))
    page.goto(nginx_url + f"/dashboard/{made.id}?run=390003")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()  # the click travels over the websocket
    expect(page).to_have_url(re.compile(rf"/dashboard/{made.id}"), timeout=TIMEOUT_MS)
    expect(page.locator('[data-panel][data-state="ready"]')).to_have_count(1, timeout=TIMEOUT_MS)
    page.get_by_role("button").filter(has=page.locator("i", has_text="chevron_left")).click()
    expect(page).to_have_url(re.compile(r"run=390002"), timeout=TIMEOUT_MS)
    expect(page.locator('[data-panel][data-state="ready"]')).to_have_count(1, timeout=TIMEOUT_MS)
    opened = [ws for ws in sockets if "/_nicegui_ws/" in ws.url and ws.url.startswith("wss://")]
    assert opened and not all(ws.is_closed() for ws in opened)
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["alpaca_route"]["secure"] and cookies["alpaca_route"]["httpOnly"]
    context.close()


def test_forwarded_for_from_the_client_is_overwritten(nginx_url: str) -> None:
    connection = _https(nginx_url)
    try:
        connection.request("GET", "/__echo_headers", headers={"X-Forwarded-For": "6.6.6.6", "X-Real-IP": "6.6.6.6"})
        seen = {k.lower(): v for k, v in json.loads(connection.getresponse().read()).items()}
    finally:
        connection.close()
    assert seen["x-forwarded-for"] == "127.0.0.1" and seen["x-real-ip"] == "127.0.0.1"
    assert seen["x-forwarded-proto"] == "https"


@pytest.mark.parametrize(("origin", "refused"), [("https://evil.example", True), ("null", True), (None, False)])
def test_websocket_handshake_with_a_foreign_origin_is_refused(
    nginx_url: str, origin: str | None, refused: bool
) -> None:
    connection = _https(nginx_url)
    headers = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
    }
    if origin is not None:
        headers["Origin"] = origin
    try:
        connection.request("GET", "/_nicegui_ws/socket.io/?EIO=4&transport=websocket", headers=headers)
        status = connection.getresponse().status
    finally:
        connection.close()
    assert (status == 403) is refused, status
