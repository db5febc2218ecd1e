"""What a user sees when a page fails: a plain message and a reference to the log, never the exception's text
(which can hold SQL, its parameters or file paths) nor a traceback."""

from __future__ import annotations

import logging
import secrets

from nicegui import app, ui

log = logging.getLogger(__name__)


def show_error(exc: Exception) -> None:
    reference = secrets.token_hex(4)
    log.error("page error, reference %s", reference, exc_info=exc)
    with ui.column().classes("w-full items-center gap-2 pt-16"):
        ui.label("Something went wrong").classes("text-h5")
        ui.label(f"The error is logged under reference {reference}; tell an admin if it happens again.").classes(
            "text-grey"
        ).mark("error-reference")
        ui.link("Back to the dashboards", "/")


def add_error_page() -> None:
    app.on_page_exception(show_error)
