"""Sessions: who is signed in, checked against the database on every request and in every handler that acts;
a new session id at every sign-in and sign-out; the login redirect for every page, and safe redirect targets."""

from __future__ import annotations

import logging
import secrets
import time
import uuid
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
from alpaca_dash.queries.health import check_database
from alpaca_dash.queries.users import Role, User
from alpaca_dash.web.bearer import is_token_request

log = logging.getLogger(__name__)

USER_ID = "user_id"
#: keys of a session's storage that say who it is; dropped from the old session when the id changes
AUTH_KEYS = (USER_ID, "sso_name", "login_token")
LOGIN_TOKEN = "login_token"
LOGIN_TOKEN_SECONDS = 60.0
FINISH_LOGIN = "/login/finish"
LOGOUT = "/logout"
PUBLIC_PATHS = frozenset({"/login", FINISH_LOGIN, LOGOUT, "/healthz", "/favicon.ico"})
#: NiceGUI's assets, the browser libraries, and NiceGUI's socket.io path, whose sockets web/socket_guard.py accepts
#: only for a page of their own session (its polling transport is HTTP: the login page's socket must get through)
PUBLIC_PREFIXES = ("/_nicegui/", "/vendor/", "/_nicegui_ws/")
#: NiceGUI's upload route (/_nicegui/client/<client id>/upload/<element id>): never public
UPLOAD_PREFIX = "/_nicegui/client/"
NOT_ALLOWED = "Your account may not do this (signed out, disabled or a lesser role): reload the page."


def is_upload(path: str) -> bool:
    return path.startswith(UPLOAD_PREFIX) and "/upload/" in path


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or (path.startswith(PUBLIC_PREFIXES) and not is_upload(path))


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


async def rotate_session(request: Request) -> None:
    """Give the browser a new session id (sent in this response's cookie) and forget who the old one was, so a
    cookie planted or read before a sign-in or sign-out is worth nothing afterwards. Preferences are kept."""
    old_id = request.session.get("id")
    users = app.storage._users
    kept = {k: v for k, v in users[old_id].items() if k not in AUTH_KEYS} if old_id in users else {}
    if old_id in users:
        for key in AUTH_KEYS:
            users[old_id].pop(key, None)
    new_id = str(uuid.uuid4())
    request.session["id"] = new_id
    await app.storage._create_user_storage(new_id)
    users[new_id].update(kept)


async def sign_in(request: Request, user: User, **extra: Any) -> None:
    """Sign the request's browser in as ``user`` under a new session id (HTTP requests only)."""
    await rotate_session(request)
    app.storage.user[USER_ID] = user.id
    app.storage.user.update(extra)


def sign_out() -> None:
    """Forget the user of the current session (the cookie's id changes at the next ``/logout`` or sign-in)."""
    for key in AUTH_KEYS:
        app.storage.user.pop(key, None)


def start_sign_in(user: User, target: str) -> str:
    """From a UI handler, where no cookie can be set: a one-time, short-lived token bound to this session, and the
    address that completes the sign-in with a new session id (``FINISH_LOGIN``)."""
    token = secrets.token_urlsafe(32)
    app.storage.user[LOGIN_TOKEN] = {"token": token, "user_id": user.id, "expires": time.time() + LOGIN_TOKEN_SECONDS}
    return FINISH_LOGIN + "?" + urlencode({"token": token, "redirect_to": safe_redirect(target)})


async def finish_sign_in(request: Request, access: DataAccess, token: str, redirect_to: str) -> Response:
    pending = app.storage.user.pop(LOGIN_TOKEN, None)
    valid = (
        isinstance(pending, dict)
        and isinstance(pending.get("token"), str)
        and secrets.compare_digest(pending["token"], token)
        and float(pending.get("expires", 0)) > time.time()
    )
    user = await run.io_bound(user_queries.get_user, access, int(pending["user_id"])) if valid else None
    if user is None or user.disabled:
        return RedirectResponse("/login", status_code=303)
    await sign_in(request, user)
    log.info("sign-in: %s from %s", user.name, request.client.host if request.client else "unknown")
    return RedirectResponse(safe_redirect(redirect_to), status_code=303)


def add_session_routes(access: DataAccess) -> None:
    @app.get(FINISH_LOGIN, include_in_schema=False)
    async def finish_login(request: Request, token: str = "", redirect_to: str = "/") -> Response:
        return await finish_sign_in(request, access, token, redirect_to)

    @app.get(LOGOUT, include_in_schema=False)
    async def logout(request: Request) -> Response:
        sign_out()
        await rotate_session(request)
        return RedirectResponse("/login", status_code=303)


async def require_user(access: DataAccess) -> User | None:
    """The signed-in user, read fresh from the database (role, disabled); otherwise go to the login page."""
    user_id = session_user_id()
    user = None if user_id is None else await run.io_bound(user_queries.get_user, access, user_id)
    if user is None or user.disabled:
        sign_out()
        ui.navigate.to("/login")
        return None
    return user


async def acting_user(
    access: DataAccess, role: Role = Role.EDITOR, *, page_user: User | None = None, refusal: str = NOT_ALLOWED
) -> User | None:
    """For a UI handler about to act: the session's user as the database has it now, if the account is enabled,
    has at least ``role`` and is still the user the page was built for; otherwise a warning and None.

    A page left open after a logout, a demotion or a disabling in another tab can therefore do nothing more.
    """
    user_id = session_user_id()
    fresh = None if user_id is None else await run.io_bound(user_queries.get_user, access, user_id)
    if fresh is None or fresh.disabled or not fresh.has_role(role) or (page_user and page_user.id != fresh.id):
        ui.notify(refusal, type="warning")
        return None
    return fresh


class LoginRequired(BaseHTTPMiddleware):
    """Every request for a non-public path needs a session whose account exists and is enabled now (read from the
    database each time); otherwise ``/login?redirect_to=...`` for pages and 401 for ``/api/`` and uploads.

    The account found is left in ``request.state.user`` for the route.
    """

    def __init__(self, app_: Any, access: DataAccess) -> None:
        super().__init__(app_)
        self.access = access

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        path = request.url.path
        if is_public(path):
            return await call_next(request)
        if is_token_request(request):
            return await call_next(request)  # the route checks the token (web/api_auth.py)
        user_id = session_user_id()
        try:
            user = None if user_id is None else await run.io_bound(user_queries.get_user, self.access, user_id)
        except Exception:
            if await run.io_bound(check_database, self.access):
                raise
            return Response("database unreachable", status_code=503)
        if user is None or user.disabled:
            if user_id is not None:
                sign_out()
            return self._refuse(request)
        request.state.user = user
        return await call_next(request)

    @staticmethod
    def _refuse(request: Request) -> Response:
        path = request.url.path
        if path.startswith("/api/") or is_upload(path):
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
