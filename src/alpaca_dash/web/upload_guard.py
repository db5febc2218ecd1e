"""NiceGUI's upload route (``POST /_nicegui/client/<client id>/upload/<element id>``), guarded on the server.

The login middleware already refuses it without a signed-in, enabled account. Here, in addition: the request's
session must be the one the page (the client) was built for, so another session cannot feed someone else's page,
and the body may not be larger than the upload element allows (its ``max-file-size``/``max-total-size``, the limit
the browser shows) plus room for the multipart framing, or ``DEFAULT_LIMIT`` when it names none. The body is counted
as it arrives, so a lying or missing Content-Length does not get past the limit either.
"""

from __future__ import annotations

import logging
import re

from nicegui import Client, ui
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alpaca_dash.web.socket_guard import owns_client

log = logging.getLogger(__name__)

UPLOAD_PATH = re.compile(r"^/_nicegui/client/(?P<client>[^/]+)/upload/(?P<element>\d+)$")
#: multipart boundaries and part headers around the file itself
FRAMING_BYTES = 16 * 1024
#: for an upload element that names no limit of its own
DEFAULT_LIMIT = 1024 * 1024


class TooLarge(Exception):
    pass


def upload_limit(client: Client, element_id: int) -> int | None:
    """The largest body the element may receive, or None when the client has no such upload element."""
    element = client.elements.get(element_id)
    if not isinstance(element, ui.upload):
        return None
    sizes = [element.props.get(k) for k in ("max-file-size", "max-total-size")]
    limits = [int(size) for size in sizes if isinstance(size, int | float) and size > 0]
    return (min(limits) if limits else DEFAULT_LIMIT) + FRAMING_BYTES


class UploadGuard:
    """Pure ASGI middleware; every other path passes untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = UPLOAD_PATH.match(scope.get("path", "")) if scope["type"] == "http" else None
        if match is None:
            await self.app(scope, receive, send)
            return
        client = Client.instances.get(match["client"])
        if client is None or not owns_client(scope.get("session"), match["client"]):
            log.warning("upload to client %s refused: not this session's page", match["client"][:40])
            await PlainTextResponse("not your page", status_code=403)(scope, receive, send)
            return
        limit = upload_limit(client, int(match["element"]))
        if limit is None:
            await PlainTextResponse("no such upload", status_code=404)(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(scope, receive, send, limit)
            return
        await self._counted(scope, receive, send, limit)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except TooLarge:
            if started:
                raise
            await _too_large(scope, receive, send, limit)


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    text = f"the upload is larger than {limit - FRAMING_BYTES} bytes"
    await PlainTextResponse(text, status_code=413)(scope, receive, send)
