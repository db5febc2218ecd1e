"""Committed runs as they arrive, for the read side: the listener of ``timescale.notify`` on the access's database."""

from __future__ import annotations

from alpaca_dash.queries.access import DataAccess
from alpaca_dash.timescale.notify import RunCallback, RunListener


def open_run_listener(access: DataAccess, *, timeout: float = 1.0) -> RunListener:
    """A listener (not yet started) that hears every run committed in the access's schema.

    :param timeout: how long one wait for a notification lasts, which bounds how long ``stop`` takes.
    """
    return RunListener(access.db, timeout=timeout)


__all__ = ["RunCallback", "RunListener", "open_run_listener"]
