"""Waiting for a page served in the test's own event loop (the NiceGUI ``user`` fixture) to reach a state."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def wait_until(check: Callable[[], bool], what: str, tenths: int = 100) -> None:
    """Poll ``check`` every tenth of a second while the page's event loop runs; fail naming ``what``."""
    for _ in range(tenths):
        if check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
