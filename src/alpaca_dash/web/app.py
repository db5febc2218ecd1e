"""Wiring of the web application: pages get a DataAccess; nothing here talks SQL."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

from nicegui import app, ui

from alpaca_dash import queries
from alpaca_dash.config import Settings
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.web.pages import runs_page


def create_pages(access: DataAccess) -> None:
    """Register every page and route against one data handle."""
    runs_page.register(access)


def storage_secret(settings: Settings) -> str:
    """The configured secret, or a random one kept in the data folder so sessions survive restarts."""
    if settings.storage_secret:
        return settings.storage_secret
    path = Path(settings.data_dir) / "storage-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def serve(settings: Settings, access: DataAccess, *, on_startup: Callable[[], None] | None = None) -> None:
    """Serve the dashboard until interrupted (blocks)."""
    create_pages(access)
    if on_startup is not None:
        app.on_startup(on_startup)
    app.on_shutdown(access.close)
    ui.run(
        host=settings.host,
        port=settings.port,
        title="Alpaca Dashboard",
        reload=False,
        show=False,
        storage_secret=storage_secret(settings),
        show_welcome_message=False,
    )


__all__ = ["create_pages", "queries", "serve"]
