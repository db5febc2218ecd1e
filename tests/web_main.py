"""The app as the ``web_user`` fixture serves it: NiceGUI's user simulation runs this file as its main file."""

from __future__ import annotations

from nicegui import ui

from alpaca_dash.web.app import configure_app

from web_fixtures import serving

configure_app(serving[0])
ui.run(storage_secret="test secret", reload=False, show=False)
