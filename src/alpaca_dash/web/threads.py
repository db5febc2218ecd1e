"""Blocking database and file work leaves the event loop through here."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar, cast

from nicegui import run

P = ParamSpec("P")
T = TypeVar("T")


async def in_thread(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``nicegui.run.io_bound`` with the result's type kept."""
    return cast(T, await run.io_bound(function, *args, **kwargs))
