"""Chart options of one event-loop turn go to the browser as one message, split before the message budget."""

from __future__ import annotations

import asyncio
import json
from typing import Any, cast

from nicegui import Client

from alpaca_dash.web.dashboard.chart_updates import ChartUpdates


class RecordingClient:
    has_socket_connection = True

    def __init__(self) -> None:
        self.sent: list[str] = []

    def run_javascript(self, code: str) -> None:
        self.sent.append(code)


def options_of(code: str) -> dict[str, Any]:
    assert code.startswith("alpacaSetOptions(") and code.endswith(")")
    found: dict[str, Any] = json.loads(code[len("alpacaSetOptions(") : -1])
    return found


async def test_options_of_one_turn_are_one_message() -> None:
    client = RecordingClient()
    updates = ChartUpdates(cast(Client, client))
    updates.add(3, {"series": [{"name": "a"}]})
    updates.add(4, {"series": []})
    updates.add(3, {"series": [{"name": "b"}]})  # the newest option of a chart wins
    assert client.sent == []
    await asyncio.sleep(0)
    assert [options_of(code) for code in client.sent] == [{"3": {"series": [{"name": "b"}]}, "4": {"series": []}}]
    await asyncio.sleep(0)
    assert len(client.sent) == 1  # nothing more to send


async def test_a_large_turn_is_split_before_the_budget() -> None:
    client = RecordingClient()
    updates = ChartUpdates(cast(Client, client), budget=120)  # two options of 52 characters fit
    for element in range(5):
        updates.add(element, {"data": "x" * 40})
    await asyncio.sleep(0)
    assert [sorted(options_of(code)) for code in client.sent] == [["0", "1"], ["2", "3"], ["4"]]
    assert all(len(code) < 120 + 40 for code in client.sent)


async def test_preloading_sends_the_urls_once_and_nothing_for_none() -> None:
    client = RecordingClient()
    updates = ChartUpdates(cast(Client, client))
    updates.preload([])
    updates.preload(["/api/images/a.png", "/api/images/b.png"])
    assert len(client.sent) == 1 and json.dumps(["/api/images/a.png", "/api/images/b.png"]) in client.sent[0]
