"""Newest / Newer / Older through runs by keyset (each page is the runs below the last one of the page before, no
offsets), with a label saying which runs are shown. The page owning it reads and shows the runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui


class KeysetPager:
    """The buttons and the ``before`` run of each page from the newest to the one shown.

    :param show: called after each move, to read and show the page whose ``before`` is :attr:`before`.
    :param marker: the prefix of the controls' markers (``<marker>-newest``, ``-newer``, ``-older``, ``-page``).
    """

    def __init__(self, show: Callable[[], Awaitable[None]], marker: str) -> None:
        self.show = show
        self.pages: list[int | None] = [None]
        self.next_before: int | None = None
        with ui.row().classes("items-center gap-1") as self.row:
            self.newest_button = ui.button("Newest", icon="first_page", on_click=self.newest).props("flat dense")
            self.newer_button = ui.button("Newer", icon="chevron_left", on_click=self.newer).props("flat dense")
            self.older_button = ui.button("Older", icon="chevron_right", on_click=self.older).props("flat dense")
            self.label = ui.label().classes("text-sm text-grey")
        self.newest_button.mark(f"{marker}-newest")
        self.newer_button.mark(f"{marker}-newer")
        self.older_button.mark(f"{marker}-older")
        self.label.mark(f"{marker}-page")

    @property
    def before(self) -> int | None:
        """The runs of the page shown are below this one (None: the newest page)."""
        return self.pages[-1]

    @property
    def on_newest(self) -> bool:
        return len(self.pages) == 1

    def shown(self, runs: list[int], next_before: int | None) -> None:
        """The page shows ``runs`` (newest first); ``next_before`` is the older page's key, None on the last."""
        self.next_before = next_before
        self.older_button.set_enabled(next_before is not None)
        self.newer_button.set_enabled(not self.on_newest)
        self.newest_button.set_enabled(not self.on_newest)
        span = f"runs {runs[0]} to {runs[-1]}" if runs else "no runs"
        self.label.set_text(f"Page {len(self.pages)}: {span}")

    async def older(self) -> None:
        if self.next_before is not None:
            self.pages.append(self.next_before)
            await self.show()

    async def newer(self) -> None:
        if not self.on_newest:
            self.pages.pop()
            await self.show()

    async def newest(self) -> None:
        self.pages = [None]
        await self.show()
