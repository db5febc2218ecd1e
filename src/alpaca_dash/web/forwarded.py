"""Who is on the other end of a request: the TCP peer, and the client address a trusted proxy forwarded.

uvicorn believes ``X-Forwarded-For`` from loopback unless told otherwise, and once it has rewritten the client
address the TCP peer is gone, so the SSO check would judge a forged address. Here uvicorn's own proxy handling is
switched off (:func:`uvicorn_proxy_options`) and the app applies uvicorn's middleware itself, with exactly the
networks of ``ALPACA_DASH_TRUSTED_PROXIES``, after keeping the TCP peer in the request scope. With no trusted proxy,
``X-Forwarded-For`` and ``X-Forwarded-Proto`` are never believed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

PEER_KEY = "alpaca_dash.peer"


def trusted_networks(cidrs: Iterable[str]) -> list[str]:
    """The trusted proxies as normalised networks (``10.20.0.5/16`` becomes ``10.20.0.0/16``).

    :raises ValueError: for anything that is not an address or network (``*`` included: trust must be explicit).
    """
    return [str(ipaddress.ip_network(cidr.strip(), strict=False)) for cidr in cidrs]


def uvicorn_proxy_options(cidrs: Iterable[str]) -> dict[str, Any]:
    """uvicorn's forwarded-address settings, never its defaults: off at the server (``TrustedForwarding`` does it
    inside the app so the peer stays known), and the allowed list the same networks as the app's."""
    return {"proxy_headers": False, "forwarded_allow_ips": ",".join(trusted_networks(cidrs))}


class TrustedForwarding:
    """Pure ASGI middleware: records the TCP peer, then believes forwarding headers only from trusted networks."""

    def __init__(self, app: ASGIApp, trusted: Iterable[str] = ()) -> None:
        self.app = app
        networks = trusted_networks(trusted)
        self.forwarded: Any = ProxyHeadersMiddleware(app, trusted_hosts=networks) if networks else app  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and PEER_KEY not in scope:
            client = scope.get("client")
            scope[PEER_KEY] = client[0] if client else None
        await self.forwarded(scope, receive, send)


def tcp_peer(connection: HTTPConnection) -> str | None:
    """The address the TCP connection came from (a proxy's, when there is one), whatever the headers say."""
    if PEER_KEY in connection.scope:
        peer: str | None = connection.scope[PEER_KEY]
        return peer
    return connection.client.host if connection.client else None


def client_address(connection: HTTPConnection) -> str:
    """The client's address: the forwarded one from a trusted proxy, else the TCP peer; ``unknown`` when neither."""
    return connection.client.host if connection.client else "unknown"
