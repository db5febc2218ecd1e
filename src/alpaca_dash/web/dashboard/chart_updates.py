"""New chart options sent straight to ECharts, all the panels of a run switch in one message.

Updating a chart as a NiceGUI element makes Vue render the whole page again, once per update message; and one
``run_javascript`` per chart is one websocket message each, sent one after the other. Options given to ``add`` in
one turn of the event loop go out together (split before a message would pass the budget), to
``alpaca.setOptions`` in ``static/charts.js``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from nicegui import Client

from alpaca_dash.web.dashboard.budget import MESSAGE_BUDGET


class ChartUpdates:
    """Collects ``element id -> option`` and sends them to the client at the end of the event loop's turn."""

    def __init__(self, client: Client, budget: int = MESSAGE_BUDGET) -> None:
        self.client = client
        self.budget = budget
        self.pending: dict[str, str] = {}
        self.size = 0
        self.scheduled = False

    def add(self, element_id: int, option: dict[str, Any]) -> None:
        text = json.dumps(option)
        if self.pending and self.size + len(text) > self.budget:
            self.flush()
        self.pending[str(element_id)] = text
        self.size += len(text)
        if not self.scheduled:
            self.scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def preload(self, urls: list[str]) -> None:
        """Have the browser fetch these PNGs now, so that a chart drawing them later finds them in its cache."""
        if urls and self.client.has_socket_connection:
            self.client.run_javascript(f"alpaca.preload({json.dumps(urls)})")

    def flush(self) -> None:
        self.scheduled = False
        if not self.pending:
            return
        options = "{" + ",".join(f'"{key}": {text}' for key, text in self.pending.items()) + "}"
        self.pending, self.size = {}, 0
        if self.client.has_socket_connection:
            self.client.run_javascript(f"alpaca.setOptions({options})")
