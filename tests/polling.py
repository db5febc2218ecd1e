"""Waiting for a state to come: the tests' one polling helper (async for pages served in the test's event loop by
the NiceGUI ``user`` fixture, plain for threads and subprocesses) and the one timeout they share."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

#: how long a state a test waits for may take to come, in seconds: generous, as the machine running the suite may be
#: busy (a passing test never waits this long; only a failing one does)
TIMEOUT = 20.0
#: the same for Playwright, which counts in milliseconds
TIMEOUT_MS = round(TIMEOUT * 1000)
#: seconds between two looks
INTERVAL = 0.1
#: ``retries`` for NiceGUI's ``user.should_see``, which looks every tenth of a second: the same ``TIMEOUT``
RETRIES = round(TIMEOUT / 0.1)

T = TypeVar("T")
What = str | Callable[[], str]


def _failure(what: What, timeout: float) -> AssertionError:
    return AssertionError(f"timed out after {timeout:g} s waiting for {what() if callable(what) else what}")


async def wait_until(check: Callable[[], T | None], what: What, seconds: float = TIMEOUT) -> T:
    """Look at ``check()`` every ``INTERVAL`` while the event loop runs; its first true result.

    :param what: the state awaited, for the failure message, or a function that describes what is there instead.
    :raises AssertionError: when ``check`` has not held within ``seconds``.
    """
    deadline = time.monotonic() + seconds
    while not (found := check()):
        if time.monotonic() > deadline:
            raise _failure(what, seconds)
        await asyncio.sleep(INTERVAL)
    return found


def wait_for(
    check: Callable[[], T | None], what: What, seconds: float = TIMEOUT, *, pause: Callable[[float], None] = time.sleep
) -> T:
    """:func:`wait_until` for code without an event loop: blocks, looking every ``INTERVAL``.

    :param pause: how to wait between two looks; Playwright's ``page.wait_for_timeout`` hands the page's events over
        meanwhile, which a plain sleep does not.
    """
    deadline = time.monotonic() + seconds
    while not (found := check()):
        if time.monotonic() > deadline:
            raise _failure(what, seconds)
        pause(INTERVAL)
    return found
