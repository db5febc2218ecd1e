"""Committed runs pushed to open pages: one ``RunListener`` per process, one subscription per client.

The listener calls back on its own thread; the hub hands each run to the subscribing client's event loop and runs
the page's handler there, inside the client's context. A client's subscription ends when the client is deleted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from nicegui import Client, background_tasks, storage

from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.live import RunListener

log = logging.getLogger(__name__)

#: what a page does when a run is committed; runs on the client's event loop
RunArrived = Callable[[int], Awaitable[None]]


class LiveRuns:
    """The process's run listener and the clients subscribed to it."""

    def __init__(self, access: DataAccess, *, timeout: float = 1.0) -> None:
        self.listener = RunListener(access, timeout=timeout)

    def start(self) -> None:
        self.listener.start()

    def stop(self) -> None:
        self.listener.stop()

    def subscribe(self, client: Client, on_run: RunArrived) -> Callable[[], None]:
        """Call ``on_run(run)`` in ``client``'s context for every committed run until the client is deleted.

        :returns: the function that unsubscribes earlier.
        """
        loop = asyncio.get_running_loop()

        def deliver(run: int) -> None:  # on the listener thread
            loop.call_soon_threadsafe(_start_handler, client, on_run, run)

        unsubscribe = self.listener.subscribe(deliver)
        client.on_delete(unsubscribe)
        return unsubscribe


def _start_handler(client: Client, on_run: RunArrived, run: int) -> None:
    if client.id not in Client.instances:
        return  # the page is gone; its subscription is being removed
    background_tasks.create(_run_handler(client, on_run, run), name=f"live run {run} for {client.id}")


async def _run_handler(client: Client, on_run: RunArrived, run: int) -> None:
    # as when the client's own events are handled: the page's request, so that its user storage can be read
    storage.request_contextvar.set(client.request)
    try:
        with client:
            await on_run(run)
    except Exception:
        log.exception("a page failed to show the new run %d", run)
