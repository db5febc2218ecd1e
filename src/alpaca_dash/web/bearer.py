"""The ``Authorization: Bearer <token>`` header of a script's request (no database: the token is checked later)."""

from __future__ import annotations

from starlette.requests import Request

SCHEME = "bearer"


def bearer_token(request: Request) -> str | None:
    """The token of a Bearer authorization header, or None when there is none."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == SCHEME and token else None
