"""A page's socket.io connection needs the browser session that loaded the page: on the real server, with a real
socket.io client, a socket with the page's client id but no or another session's cookie is refused (the implicit
handshake of NiceGUI's browser code and the explicit one), and what a socket sends for a client it was not accepted
for is not handled; the page's own session connects, and its events are."""

from __future__ import annotations

import asyncio
import gc
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
import socketio
from polling import wait_until

from alpaca_dash.timescale.database import Database
from alpaca_dash.web.pages.login_page import WRONG
from alpaca_dash.web.testserver import run_server

SOCKET_PATH = "/_nicegui_ws/socket.io"
CLIENT_ID = re.compile(r"""'client_id': '([0-9a-f-]+)'""")
#: the login page's "Log in" button in the page's element tree: its element id and its click listener
LOG_IN_BUTTON = re.compile(
    r'"(\d+)":\{"tag":"q-btn",[^{}]*"props":\{[^{}]*"label":"Log in"\},"events":\[\{"listener_id":"([^"]+)"'
)
#: how long a message that should not come is waited for
QUIET_SECONDS = 2.0


@dataclass(frozen=True)
class Page:
    """A login page as one browser loaded it: its session cookie, client id and "Log in" button."""

    cookie: str
    client_id: str
    button: int
    listener: str

    def click(self) -> dict[str, Any]:
        """The message NiceGUI's browser code sends for a click on the button."""
        return {"id": self.button, "client_id": self.client_id, "listener_id": self.listener, "args": []}


@pytest.fixture
def server_url(fresh_schema_url: str, tmp_path: Path) -> Iterator[str]:
    database = Database(fresh_schema_url)
    database.migrate()
    database.dispose()
    with run_server(fresh_schema_url, tmp_path / "site") as server:
        try:
            yield server.url
        finally:
            print("--- server log ---\n" + server.log.read_text()[-5000:])  # shown when the test fails


def load_page(url: str) -> Page:
    """Load the login page in a new browser (a session of its own)."""
    with httpx.Client(base_url=url) as browser:
        response = browser.get("/login")
        html = response.text
        cookie = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
    client, button = CLIENT_ID.search(html), LOG_IN_BUTTON.search(html)
    assert client is not None and button is not None, html[:500]
    return Page(cookie, client[1], int(button[1]), button[2])


class Socket:
    """A python-socketio client on NiceGUI's socket path, keeping every message the server sends it."""

    def __init__(self, transport: str) -> None:
        self.transport = transport
        # a session of our own to close: a refused connect leaves the client's own one open
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True))
        self.sio = socketio.AsyncClient(reconnection=False, http_session=self.http)
        self.messages: list[str] = []
        self.tab = str(uuid.uuid4())
        self.sio.on("*", self._received)

    async def _received(self, event: str, data: Any = None) -> None:
        self.messages.append(f"{event} {data}")

    async def connect(self, url: str, client_id: str, cookie: str | None, *, implicit: bool = True) -> None:
        """Connect as NiceGUI's browser code does (the handshake in the query), or without the handshake."""
        query = f"client_id={client_id}&next_message_id=0&document_id={uuid.uuid4()}&tab_id={self.tab}&old_tab_id="
        await self.sio.connect(
            f"{url}?{query}" + ("&implicit_handshake=true" if implicit else ""),
            headers={"Cookie": cookie} if cookie else {},
            transports=[self.transport],
            socketio_path=SOCKET_PATH,
            wait_timeout=20,
        )

    async def handshake(self, client_id: str) -> Any:
        data = {"client_id": client_id, "tab_id": self.tab, "document_id": str(uuid.uuid4())}
        return await self.sio.call("handshake", data, timeout=20)

    async def close(self) -> None:
        # also after a refused connect: its engine.io connection (and a pending long poll) may still be open
        await self.sio.disconnect()
        await self.http.close()

    def saw(self, text: str) -> bool:
        return any(text in message for message in self.messages)


@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <function Connection.__del__:pytest.PytestUnraisableExceptionWarning"
)
@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_a_socket_gets_a_page_only_with_the_session_that_loaded_it(server_url: str, transport: str) -> None:
    victim, stranger = load_page(server_url), load_page(server_url)
    sockets: list[Socket] = []
    try:
        for cookie in (None, stranger.cookie):  # no session, and another browser's session
            refused = Socket(transport)
            sockets.append(refused)
            with pytest.raises(socketio.exceptions.ConnectionError):
                await refused.connect(server_url, victim.client_id, cookie)

        owner = Socket(transport)
        sockets.append(owner)
        await owner.connect(server_url, victim.client_id, victim.cookie)

        explicit = Socket(transport)  # connects without the handshake, then asks for it
        sockets.append(explicit)
        await explicit.connect(server_url, victim.client_id, stranger.cookie, implicit=False)
        assert await explicit.handshake(victim.client_id) is False
        await explicit.sio.emit("event", victim.click())

        other_page = Socket(transport)  # accepted for its own page, sending for the victim's
        sockets.append(other_page)
        await other_page.connect(server_url, stranger.client_id, stranger.cookie)
        await other_page.sio.emit("event", victim.click())

        await asyncio.sleep(QUIET_SECONDS)
        assert not owner.saw(WRONG), "an event from a socket not accepted for the page was handled"

        await owner.sio.emit("event", victim.click())
        await wait_until(lambda: owner.saw(WRONG), "the page's own click answered")
        assert not any(s.saw(WRONG) for s in sockets if s is not owner), "another socket got the page's update"
    finally:
        await asyncio.gather(*(s.close() for s in sockets))
        # python-socketio's polling client can leave a long poll it gave up on to the garbage collector: collect it
        # here, inside this test (which ignores that one warning), not in whichever test runs next
        await asyncio.sleep(0.5)  # the clients' cancelled polls end first
        gc.collect()
