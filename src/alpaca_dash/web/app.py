"""Wiring of the web application: pages and routes get a DataAccess; nothing here talks SQL."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from nicegui import app, core, ui

from alpaca_dash.config import Settings
from alpaca_dash.content.value_cache import ValueCache
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import prepare_password_checks
from alpaca_dash.web.api_routes import add_api_routes
from alpaca_dash.web.auth import LoginRequired, ProductionConfigError, add_session_routes, session_cookie_options
from alpaca_dash.web.dashboard.page import register as register_dashboard_page
from alpaca_dash.web.dashboard.shared_contents import SharedContents
from alpaca_dash.web.error_page import add_error_page
from alpaca_dash.web.export_route import add_export_route
from alpaca_dash.web.forwarded import TrustedForwarding, uvicorn_proxy_options
from alpaca_dash.web.image_cache import ImageCache
from alpaca_dash.web.live import LiveRuns
from alpaca_dash.web.metrics_route import add_metrics_route
from alpaca_dash.web.pages import (
    account_page,
    admin_page,
    alarms_page,
    checks_page,
    dashboards_page,
    jobs_page,
    login_page,
    quality_page,
    runs_page,
)
from alpaca_dash.web.proxy_login import add_proxy_login
from alpaca_dash.web.routes import add_routes
from alpaca_dash.web.socket_guard import guard_sockets
from alpaca_dash.web.upload_guard import UploadGuard
from alpaca_dash.web.user_storage import load_user_storage_once
from alpaca_dash.web.vendor import find_node_modules, serve_vendor_files


def configure_app(access: DataAccess, *, node_modules: Path | None = None) -> None:
    """Register every page, route, static folder and the login middleware against one data handle.

    :raises VendorMissing: when node_modules with the grid library cannot be found.
    """
    serve_vendor_files(find_node_modules(node_modules))
    load_user_storage_once(app.storage)  # several requests of a session new to this process see it signed in
    app.on_startup(prepare_password_checks)
    images = ImageCache()
    live_runs = LiveRuns(access)
    app.on_startup(live_runs.start)
    app.on_shutdown(live_runs.stop)
    guard_sockets(core.sio)  # a page's socket needs the session that loaded the page, as its uploads do
    app.add_middleware(UploadGuard)  # inside the login check: it runs for signed-in, enabled accounts only
    app.add_middleware(LoginRequired, access=access)
    add_proxy_login(access)
    # outside the two above: they need the TCP peer and the client address a trusted proxy forwarded
    app.add_middleware(TrustedForwarding, trusted=access.settings.trusted_proxies)
    add_session_routes(access)
    add_error_page()
    values = ValueCache()
    add_routes(access, images, values)
    add_export_route(access)
    add_api_routes(access)
    account_page.register(access, live_runs)
    login_page.register(access)
    dashboards_page.register(access, live_runs)
    shared = SharedContents()
    register_dashboard_page(access, images, values, live_runs, shared)
    add_metrics_route(shared)
    runs_page.register(access, live_runs)
    jobs_page.register(access, live_runs)
    quality_page.register(access, live_runs)
    checks_page.register(access, live_runs)
    alarms_page.register(access, live_runs)
    admin_page.register(access, live_runs)


def storage_secret(settings: Settings) -> str:
    """The configured secret, or a random one kept in the data folder so sessions survive restarts.

    :raises ProductionConfigError: in production mode without a configured secret.
    """
    if settings.storage_secret:
        return settings.storage_secret
    if settings.production:
        raise ProductionConfigError(
            "ALPACA_DASH_PRODUCTION is on but ALPACA_DASH_STORAGE_SECRET is empty: set it to a long random value "
            "(e.g. `openssl rand -base64 32`) shared by every web instance"
        )
    path = Path(settings.data_dir) / "storage-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # created readable by the owner only, before the secret is in it
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it meanwhile
            return path.read_text().strip()
        with os.fdopen(handle, "w") as out:
            out.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def serve(
    settings: Settings,
    access: DataAccess,
    *,
    on_startup: Callable[[], None] | None = None,
    on_shutdown: Callable[[], None] | None = None,
) -> None:
    """Serve the dashboard until interrupted (blocks).

    :param on_startup: called when the app has started (before it takes requests).
    :param on_shutdown: called when it stops, before the database connections are closed.

    :raises VendorMissing: when the browser libraries are not installed (``npm ci``).
    """
    configure_app(access, node_modules=settings.node_modules)
    if on_startup is not None:
        app.on_startup(lambda: on_startup())  # NiceGUI passes the app to a handler that takes any parameter
    if on_shutdown is not None:
        app.on_shutdown(lambda: on_shutdown())
    app.on_shutdown(access.close)
    ui.run(
        host=settings.host,
        port=settings.port,
        title="Alpaca Dashboard",
        reload=False,
        show=False,
        storage_secret=storage_secret(settings),
        session_middleware_kwargs=session_cookie_options(settings),
        show_welcome_message=False,
        **uvicorn_proxy_options(settings.trusted_proxies),
        reconnect_timeout=10.0,
        unocss="wind3",
    )


__all__ = ["configure_app", "serve"]
