"""The ``Authorization: Bearer <token>`` header of a script's request (no database: the token is checked later)."""

from __future__ import annotations

from starlette.requests import Request

SCHEME = "bearer"
#: the only paths a token opens; the login middleware lets a Bearer request through to these alone, so a route added
#: later without a token check stays closed to anyone who merely sends a Bearer header
TOKEN_ROUTES = frozenset({"/api/export", "/api/observables", "/api/runs", "/api/trend"})


def bearer_token(request: Request) -> str | None:
    """The token of a Bearer authorization header, or None when there is none."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == SCHEME and token else None


def is_token_request(request: Request) -> bool:
    """A Bearer request for one of the routes that check tokens themselves (``web/api_auth.py``)."""
    return request.url.path in TOKEN_ROUTES and bearer_token(request) is not None
