"""The run selector: a number field, previous / next / latest, and a message when a run does not exist."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from alpaca_dash.domain import Run, RunStatus
from alpaca_dash.queries import runs as run_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.run_range import parse_run_number, run_from_field
from alpaca_dash.web.dashboard.shown import ShownRun
from alpaca_dash.web.threads import in_thread
from alpaca_dash.web.time_text import utc_text

#: called with the run and its ``ingested_at`` (which tells a re-ingested run from the one cached)
RunHandler = Callable[[ShownRun], Awaitable[None]]


def run_caption(found: Run, *, live: bool) -> str:
    """One line saying which run a wall screen shows: number, when it ended (UTC), live, and a bad flag."""
    parts = [f"Run {found.run}"]
    when = found.end or found.start
    if when is not None:
        parts.append(f"{'ended' if found.end else 'started'} {utc_text(when)} UTC")
    if not found.good:
        parts.append("marked bad")
    if live:
        parts.append("live")
    return " · ".join(parts)


def parse_run(text: str | None) -> int | None:
    """A run number from the URL or the field: ASCII digits only, at most the largest run number."""
    return parse_run_number(text)


class RunBar:
    """Calls ``on_run`` with an existing run; tells the user when the asked run does not exist."""

    def __init__(
        self,
        access: DataAccess,
        on_run: RunHandler,
        *,
        live: bool = False,
        on_live: Callable[[bool], Awaitable[None]] | None = None,
        on_shown: Callable[[Run], None] | None = None,
    ) -> None:
        self.access = access
        self.on_run = on_run
        self.on_live = on_live
        #: called with each run shown, for a caption outside the bar (kiosk mode hides the bar)
        self.on_shown = on_shown
        self.run: int | None = None
        with ui.row().classes("items-center gap-1 no-wrap") as self.row:
            ui.button(icon="chevron_left", on_click=self.previous).props("flat dense").mark("run-previous").tooltip(
                "Previous run"
            )
            self.field = ui.number("Run", format="%d", min=0, step=1).props("dense outlined").classes("w-32")
            self.field.mark("run-field")
            self.field.on("keydown.enter", self.go_to_field)
            self.field.on("blur", self.go_to_field)
            ui.button(icon="chevron_right", on_click=self.next).props("flat dense").mark("run-next").tooltip("Next run")
            ui.button("Latest", icon="last_page", on_click=self.latest).props("flat dense").mark("run-latest")
            self.live = ui.switch("Live", value=live, on_change=self._live_changed).mark("live-toggle")
            self.live.tooltip("Follow the newest run as it is committed")
            self.message = ui.label().classes("text-negative run-message")

    def _show(self, run: int | None, message: str = "") -> None:
        self.run = run if run is not None else self.run
        self.field.set_value(self.run)
        self.message.set_text(message)

    def show_first(self, found: Run | None, message: str) -> None:
        """The run the page opens on (None when there is none), before any panel is drawn."""
        self._show(None if found is None else found.run, message)
        if found is not None and self.on_shown is not None:
            self.on_shown(found)

    async def go_to(self, run: int, *, by_hand: bool = False) -> bool:
        """Show ``run`` if it exists; otherwise keep the current run and say so.

        :param by_hand: the user picked this run, which ends live mode so that the next committed run does not
            replace it.
        """
        found = await in_thread(run_queries.get_run, self.access, run)
        if found is None or found.status != RunStatus.INGESTED:
            self.field.set_value(self.run)
            self.message.set_text(f"Run {run} does not exist." if found is None else f"Run {run} has no data.")
            return False
        await self._go_to_found(found, by_hand=by_hand)
        return True

    async def _go_to_found(self, found: Run, *, by_hand: bool) -> None:
        run = found.run
        if by_hand and self.live.value:
            self.live.set_value(False)  # its handler tells the page, which drops live=1 from the URL
        self._show(run)
        if self.on_shown is not None:
            self.on_shown(found)
        await self.on_run(ShownRun(run, found.ingested_at))

    async def _live_changed(self, event: Any) -> None:
        if event.value:
            await self.latest()
        if self.on_live is not None:
            await self.on_live(bool(event.value))

    async def follow(self, run: int) -> None:
        """A run was committed: show it when in live mode and it is newer than the one shown."""
        if self.live.value and (self.run is None or run >= self.run):
            await self.go_to(run)

    async def go_to_field(self) -> None:
        value = self.field.value
        run = run_from_field(value)
        if value is not None and run is None:
            self.field.set_value(self.run)
            self.message.set_text(f"Run {value} does not exist.")
            return
        if run is None or run == self.run:
            return
        await self.go_to(run, by_hand=True)

    async def latest(self) -> None:
        newest = await in_thread(run_queries.neighbour_run, self.access, None, forward=True)
        if newest is None:
            self.message.set_text("No runs have been ingested yet.")
            return
        await self._go_to_found(newest, by_hand=False)

    async def _step(self, forward: bool) -> None:
        if self.run is None:
            await self.latest()
            return
        target = await in_thread(run_queries.neighbour_run, self.access, self.run, forward=forward)
        if target is None:
            self.message.set_text("This is the newest run." if forward else "This is the oldest run.")
            return
        await self._go_to_found(target, by_hand=True)

    async def previous(self) -> None:
        await self._step(False)

    async def next(self) -> None:
        await self._step(True)
