"""Sessions: who is signed in, the login redirect for every page, and safe redirect targets."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app, run, ui
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from alpaca_dash.config import Settings
from alpaca_dash.queries import users as user_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import User
from alpaca_dash.web.bearer import is_token_request

USER_ID = "user_id"
PUBLIC_PATHS = frozenset({"/login", "/healthz", "/favicon.ico"})
PUBLIC_PREFIXES = ("/_nicegui/", "/vendor/")


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def safe_redirect(target: str | None) -> str:
    """``target`` if it is a path on this site, else ``/``: no scheme, no host, no ``//`` or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return "/"
    return target


def session_user_id() -> int | None:
    """The signed-in user's id from the session cookie's storage, without asking the database."""
    value = app.storage.user.get(USER_ID)
    return value if isinstance(value, int) else None


def sign_in(user: User) -> None:
    app.storage.user[USER_ID] = user.id


def sign_out() -> None:
    app.storage.user.pop(USER_ID, None)


async def require_user(access: DataAccess) -> User | None:
    """The signed-in user, read fresh from the database (role, disabled); otherwise go to the login page."""
    user_id = session_user_id()
    user = None if user_id is None else await run.io_bound(user_queries.get_user, access, user_id)
    if user is None or user.disabled:
        sign_out()
        ui.navigate.to("/login")
        return None
    return user


class LoginRequired(BaseHTTPMiddleware):
    """Sends every request for a non-public path without a session to ``/login?redirect_to=...``."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        path = request.url.path
        if is_public(path) or session_user_id() is not None:
            return await call_next(request)
        if is_token_request(request):
            return await call_next(request)  # the route checks the token (web/api_auth.py)
        if path.startswith("/api/"):
            return Response("not signed in", status_code=401)
        target = path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login?" + urlencode({"redirect_to": target}), status_code=303)


class ProductionConfigError(RuntimeError):
    """Production mode is on but a setting it needs is missing; the app does not start."""


def session_cookie_options(settings: Settings) -> dict[str, Any]:
    """Options for NiceGUI's session middleware: in production the cookie is https-only and SameSite=Lax."""
    if settings.production:
        return {"https_only": True, "same_site": "lax"}
    return {"same_site": "lax"}
