"""Panel contents shared by the pages of one process: computed once however many pages ask at the same time."""

from __future__ import annotations

import asyncio

import pytest

from alpaca_dash.content.data import PanelContent
from alpaca_dash.web.dashboard.shared_contents import SharedContents


async def test_pages_asking_together_share_one_computation() -> None:
    shared = SharedContents()
    runs: list[str] = []
    release = asyncio.Event()

    async def compute() -> PanelContent:
        runs.append("computed")
        await release.wait()
        return PanelContent("ready", message="run 390001")

    pages = [asyncio.ensure_future(shared.get_or_compute(("a", 390001), compute)) for _ in range(50)]
    await asyncio.sleep(0.01)
    release.set()
    contents = await asyncio.gather(*pages)
    assert runs == ["computed"]
    assert all(content is contents[0] for content in contents)
    assert (shared.computed, shared.shared) == (1, 49)
    again = await shared.get_or_compute(("a", 390001), compute)
    assert again is contents[0] and shared.computed == 1
    await shared.get_or_compute(("a", 390002), compute)
    assert shared.computed == 2


async def test_a_page_that_goes_away_does_not_cancel_the_others() -> None:
    shared = SharedContents()
    release = asyncio.Event()

    async def compute() -> PanelContent:
        await release.wait()
        return PanelContent("ready")

    leaving = asyncio.ensure_future(shared.get_or_compute("k", compute))
    staying = asyncio.ensure_future(shared.get_or_compute("k", compute))
    await asyncio.sleep(0.01)
    leaving.cancel()
    release.set()
    assert (await staying).state == "ready"
    with pytest.raises(asyncio.CancelledError):
        await leaving


async def test_errors_reach_every_waiter_and_are_not_kept() -> None:
    shared = SharedContents()
    attempts: list[int] = []

    async def failing() -> PanelContent:
        attempts.append(1)
        await asyncio.sleep(0.01)
        raise OSError("sidecar unreachable")

    results = await asyncio.gather(*(shared.get_or_compute("k", failing) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(result, OSError) for result in results)

    async def error_content() -> PanelContent:
        attempts.append(1)
        return PanelContent("error", message="no data")

    await shared.get_or_compute("k", error_content)
    await shared.get_or_compute("k", error_content)
    assert len(attempts) == 3  # the failed computation once, then each error content computed again
