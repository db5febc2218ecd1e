"""Committed runs and the database's state pushed to open pages: one ``RunListener`` per process, subscriptions
per client.

The listener calls back on its own thread; the hub hands each run (or each change of the connection's state) to the
subscribing client's event loop and runs the page's handler there, inside the client's context. A client's
subscriptions end when the client is deleted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from nicegui import Client, background_tasks, storage

from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.live import open_run_listener

log = logging.getLogger(__name__)

#: what a page does when a run is committed; runs on the client's event loop
RunArrived = Callable[[int], Awaitable[None]]
#: what a page does when the database becomes unreachable (False) or reachable again (True)
StateChanged = Callable[[bool], Awaitable[None]]
T = TypeVar("T")


class LiveRuns:
    """The process's run listener and the clients subscribed to it."""

    def __init__(self, access: DataAccess, *, timeout: float = 1.0) -> None:
        self.listener = open_run_listener(access, timeout=timeout)

    def start(self) -> None:
        self.listener.start()

    def stop(self) -> None:
        self.listener.stop()

    @property
    def database_down(self) -> bool:
        """Whether the database is known to be unreachable right now."""
        return self.listener.down

    def subscribe(self, client: Client, on_run: RunArrived) -> Callable[[], None]:
        """Call ``on_run(run)`` in ``client``'s context for every committed run until the client is deleted.

        :returns: the function that unsubscribes earlier.
        """
        return _deliver(client, on_run, self.listener.subscribe)

    def subscribe_judged(self, client: Client, on_run: RunArrived) -> Callable[[], None]:
        """Call ``on_run(run)`` in ``client``'s context each time a run's quality results are stored, until the
        client is deleted.

        :returns: the function that unsubscribes earlier.
        """
        return _deliver(client, on_run, self.listener.subscribe_judged)

    def subscribe_state(self, client: Client, on_state: StateChanged) -> Callable[[], None]:
        """Call ``on_state(connected)`` in ``client``'s context when the database is lost or back, until the client
        is deleted.

        :returns: the function that unsubscribes earlier.
        """
        return _deliver(client, on_state, self.listener.subscribe_state)

    def subscribe_recovery(self, client: Client, on_back: Callable[[], Awaitable[None]]) -> Callable[[], None]:
        """Call ``on_back()`` in ``client``'s context each time the database is reachable again after an outage
        (the runs committed meanwhile were not heard of).

        :returns: the function that unsubscribes earlier.
        """

        async def on_state(connected: bool) -> None:
            if connected:
                await on_back()

        return self.subscribe_state(client, on_state)


def _deliver(
    client: Client,
    handler: Callable[[T], Awaitable[None]],
    subscribe: Callable[[Callable[[T], None]], Callable[[], None]],
) -> Callable[[], None]:
    """Subscribe to the listener so that each value it reports is handled on ``client``'s event loop."""
    loop = asyncio.get_running_loop()

    def deliver(value: T) -> None:  # on the listener thread
        loop.call_soon_threadsafe(_start_handler, client, handler, value)

    unsubscribe = subscribe(deliver)
    client.on_delete(unsubscribe)
    return unsubscribe


def _start_handler(client: Client, handler: Callable[[T], Awaitable[None]], value: T) -> None:
    if client.id not in Client.instances:
        return  # the page is gone; its subscription is being removed
    background_tasks.create(_run_handler(client, handler, value), name=f"live {value} for {client.id}")


async def _run_handler(client: Client, handler: Callable[[T], Awaitable[None]], value: T) -> None:
    # as when the client's own events are handled: the page's request, so that its user storage can be read
    storage.request_contextvar.set(client.request)
    try:
        with client:
            await handler(value)
    except Exception:
        log.exception("a page failed to handle %r from the run listener", value)
