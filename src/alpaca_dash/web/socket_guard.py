"""NiceGUI's socket.io server, guarded: a page's socket needs the browser session that loaded the page.

NiceGUI accepts a socket for any client whose id it names (the id is in the page's HTML), and it routes the
messages a socket sends by the ``client_id`` inside them, not by the client the socket was accepted for. Here, in
addition: the connect (NiceGUI's implicit handshake) and the explicit ``handshake`` succeed only when the socket's
session cookie is the one the page was built for (the same check as the upload route's, ``web/upload_guard.py``),
and ``event``, ``javascript_response``, ``ack`` and ``log`` messages are handled only for the client their socket
was accepted for. A refused socket therefore gets no updates, and nothing it sends reaches a page.
"""

from __future__ import annotations

import inspect
import logging
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from nicegui import Client

log = logging.getLogger(__name__)

#: the text NiceGUI's browser code answers by reloading the page (which then asks for a sign-in if need be)
REFUSED = "Implicit handshake failed"
#: the messages a socket sends about a client once accepted
CLIENT_MESSAGES = ("event", "javascript_response", "ack", "log")
_GUARDED = "_alpaca_guarded"


def page_session_id(client: Client | None) -> str | None:
    """The session id of the request that built ``client``'s page, or None when there is no such page."""
    if client is None:
        return None
    try:
        owner = client.request.session.get("id")
    except RuntimeError:  # a client built without a request
        return None
    return owner if isinstance(owner, str) else None


def owns_client(session: object, client_id: object) -> bool:
    """Whether a request or socket with the session ``session`` (Starlette's decoded cookie) built ``client_id``."""
    owner = page_session_id(Client.instances.get(client_id) if isinstance(client_id, str) else None)
    return owner is not None and isinstance(session, dict) and session.get("id") == owner


def guard_sockets(sio: socketio.AsyncServer) -> None:
    """Wrap NiceGUI's handlers of ``sio`` (once; calling again changes nothing)."""
    handlers: dict[str, Callable[..., Any]] = sio.handlers["/"]
    if getattr(handlers["connect"], _GUARDED, False):
        return
    connect, handshake = handlers["connect"], handlers["handshake"]

    def socket_session(sid: str) -> object:
        environ = sio.get_environ(sid) or {}
        return environ.get("asgi.scope", {}).get("session")

    async def guarded_connect(sid: str, environ: dict[str, Any], auth: Any = None) -> Any:
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        client_id = query.get("client_id", [None])[0]
        if query.get("implicit_handshake") == ["true"] and not owns_client(socket_session(sid), client_id):
            log.warning("socket for client %s refused: not the session of its page", str(client_id)[:40])
            raise socketio.exceptions.ConnectionRefusedError(REFUSED)
        return await connect(sid, environ, auth)

    async def guarded_handshake(sid: str, data: Any) -> bool:
        client_id = data.get("client_id") if isinstance(data, dict) else None
        if not owns_client(socket_session(sid), client_id):
            log.warning("handshake for client %s refused: not the session of its page", str(client_id)[:40])
            return False
        return bool(await handshake(sid, data))

    def for_own_client(handler: Callable[[str, Any], Any]) -> Callable[[str, Any], Awaitable[Any]]:
        async def guarded(sid: str, msg: Any) -> Any:
            client_id = msg.get("client_id") if isinstance(msg, dict) else None
            # the accepted handshake put the socket in the room named after its client (NiceGUI's own bookkeeping)
            if not isinstance(client_id, str) or client_id == sid or client_id not in sio.rooms(sid):
                return None
            result = handler(sid, msg)
            return await result if inspect.isawaitable(result) else result

        return guarded

    setattr(guarded_connect, _GUARDED, True)
    sio.on("connect", guarded_connect)
    sio.on("handshake", guarded_handshake)
    for name in CLIENT_MESSAGES:
        sio.on(name, for_own_client(handlers[name]))
