"""Panel contents shared by every page of this process: a wall of screens on one live dashboard computes each
panel once per committed run, not once per screen."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable

from alpaca_dash.content.data import PanelContent

#: contents kept: a few runs' worth of the panels on the dashboards that are open
SHARED_CONTENTS = 512


class SharedContents:
    """Contents by what they were computed from. The first page to ask for a key computes it; pages that ask while
    that runs wait for the same result, and later ones get it at once. ``computed`` and ``shared`` count both cases
    (``/metrics``)."""

    def __init__(self, size: int = SHARED_CONTENTS) -> None:
        self.size = size
        self.computed = 0
        self.shared = 0
        self._done: OrderedDict[Hashable, PanelContent] = OrderedDict()
        self._running: dict[Hashable, asyncio.Task[PanelContent]] = {}

    async def get_or_compute(self, key: Hashable, compute: Callable[[], Awaitable[PanelContent]]) -> PanelContent:
        """The content for ``key``; errors are handed to every page waiting for them, and not kept."""
        if key in self._done:
            self._done.move_to_end(key)
            self.shared += 1
            return self._done[key]
        task = self._running.get(key)
        if task is None:
            self.computed += 1
            # a task of its own: a page that goes away while it runs does not cancel it for the others
            task = self._running[key] = asyncio.ensure_future(compute())
            task.add_done_callback(lambda done: self._finished(key, done))
        else:
            self.shared += 1
        return await asyncio.shield(task)

    def _finished(self, key: Hashable, task: asyncio.Task[PanelContent]) -> None:
        self._running.pop(key, None)
        if task.cancelled() or task.exception() is not None or task.result().state == "error":
            return
        self._done[key] = task.result()
        while len(self._done) > self.size:
            self._done.popitem(last=False)
