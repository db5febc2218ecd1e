"""Keeps websocket messages small: NiceGUI sends all pending element updates as one message, so large panel
updates are spread over several messages instead of piling up into one."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from nicegui import Client

#: engine.io drops the socket for messages over 1 MB; stay well under the 256 kB target
MESSAGE_BUDGET = 160 * 1024


def estimate_bytes(payload: Any) -> int:
    return len(json.dumps(payload, separators=(",", ":"), default=str))


class MessageBudget:
    """Wait for the outbox to flush before an update would push the pending message past the budget."""

    def __init__(self, client: Client, budget: int = MESSAGE_BUDGET) -> None:
        self.client = client
        self.budget = budget
        self.pending = 0

    async def reserve(self, nbytes: int) -> None:
        if self.pending and self.pending + nbytes > self.budget:
            await self.flush()
        self.pending += nbytes

    async def flush(self) -> None:
        for _ in range(200):  # at most about 2 s, then send anyway
            if not self.client.outbox.updates or not self.client.has_socket_connection:
                break
            await asyncio.sleep(0.01)
        self.pending = 0
