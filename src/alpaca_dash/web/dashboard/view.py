"""The state of one open dashboard and what happens on its events: runs, panels, layout and saving."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from nicegui import Client, app, background_tasks, ui

from alpaca_dash.content.across_runs import resolve_runs
from alpaca_dash.content.data import PanelContent, Target
from alpaca_dash.content.layout import first_free_place
from alpaca_dash.content.registry import chart_type
from alpaca_dash.content.spec import DashboardSpec, PanelSpec, new_panel_id
from alpaca_dash.content.value_cache import ValueCache
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries import runs as run_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.panel_data import load_panel
from alpaca_dash.queries.users import User
from alpaca_dash.web.dashboard.alarm_badges import AlarmBadges
from alpaca_dash.web.dashboard.budget import MessageBudget, estimate_bytes
from alpaca_dash.web.dashboard.chart_updates import ChartUpdates
from alpaca_dash.web.dashboard.panel_card import COLUMN_KEY, PanelCard, Prefetched
from alpaca_dash.web.dashboard.panel_sizes import (
    REGRID_PIXELS,
    fitted,
    merge_layout,
    moved_by,
    remember_column_width,
    similar,
)
from alpaca_dash.web.dashboard.shared_contents import SharedContents
from alpaca_dash.web.grid import PanelGrid
from alpaca_dash.web.image_cache import ImageCache
from alpaca_dash.web.routes import image_url
from alpaca_dash.web.theme import THEME_KEY
from alpaca_dash.web.threads import in_thread

log = logging.getLogger(__name__)
READ_ONLY = "Viewers cannot change dashboards."
#: how long the first load waits for the browser to report the panel sizes
SIZES_TIMEOUT = 1.0
#: seconds a panel's load may take before it shows a spinner
SPINNER_DELAY = 0.3
#: seconds after a run switch before the next run in the same direction is prepared
READ_AHEAD_DELAY = 0.1
#: how long a run switch waits to show every panel at once before showing each as it arrives
BATCH_SECONDS = 0.25
#: a grid column's width in pixels before the browser has told (a 1400-pixel wide window)
DEFAULT_COLUMN_PX = 112


class DashboardView:
    """Holds the dashboard as last saved, the shown run and one card per panel."""

    def __init__(
        self,
        access: DataAccess,
        user: User,
        dashboard: store.Dashboard,
        images: ImageCache,
        values: ValueCache,
        shared: SharedContents | None = None,
    ) -> None:
        self.access = access
        #: contents computed once for every page of the process (a private one when none is given)
        self.shared = shared if shared is not None else SharedContents()
        self.user = user
        self.dashboard = dashboard
        self.images = images
        self.values = values
        self.run: int | None = None
        self.run_version: object = None
        self.version_run: int | None = None
        self.cards: dict[str, PanelCard] = {}
        self.grid: PanelGrid | None = None
        self.budget: MessageBudget | None = None
        self.started = False
        self.sizes_seen = asyncio.Event()
        self.save_lock = asyncio.Lock()
        self.version_label: ui.label | None = None
        self.edit_panel: Any = None
        self.live = False
        self.kiosk = False
        self.runs_text: str | None = None  # the run range of trend panels: None (the default), lastN or a-b
        #: a reference run from the address (``&reference=``), over the dashboard's, for this view only
        self.url_reference: int | None = None
        self.alarms = AlarmBadges(access)
        self.ahead: asyncio.Task[None] | None = None
        self.charts: ChartUpdates | None = None
        #: shows a run as if picked by hand (the run bar's ``go_to``), for clicks on points that are runs
        self.go_to_run: Callable[[int], Awaitable[Any]] | None = None

    @property
    def spec(self) -> DashboardSpec:
        return self.dashboard.spec

    @property
    def reference_run(self) -> int | None:
        """The reference the panels draw: the address's, else the dashboard's pinned one."""
        return self.url_reference if self.url_reference is not None else self.spec.reference_run

    def attach(self, grid: PanelGrid, client: Client) -> None:
        self.grid = grid
        self.charts = ChartUpdates(client)
        self.budget = MessageBudget(client)
        for panel in self.spec.panels:
            self._add_card(panel)

    def _add_card(self, panel: PanelSpec) -> PanelCard:
        assert self.grid is not None and self.charts is not None
        card = PanelCard(
            self.grid,
            panel,
            column_px=app.storage.user.get(COLUMN_KEY, DEFAULT_COLUMN_PX),
            editable=self.can_edit,
            charts=self.charts,
            on_edit=self.open_edit,
            on_duplicate=self.duplicate_panel,
            on_remove=self.remove_panel,
            on_run=self.open_run if chart_type(panel.type).across_runs else None,
        )
        self.cards[panel.id] = card
        return card

    def url(self) -> str:
        theme = app.storage.user.get(THEME_KEY, "light")
        query = f"?run={self.run}&theme={theme}" if self.run is not None else f"?theme={theme}"
        query += "&live=1" if self.live else ""
        query += "&kiosk=1" if self.kiosk else ""
        query += f"&runs={self.runs_text}" if self.runs_text else ""
        query += f"&reference={self.url_reference}" if self.url_reference is not None else ""
        return f"/dashboard/{self.dashboard.id}{query}"

    async def open_run(self, run: int) -> None:
        if self.go_to_run is not None and run != self.run:
            await self.go_to_run(run)

    async def set_live(self, live: bool) -> None:
        self.live = live
        ui.navigate.history.replace(self.url())

    def prefetch(self, run: int | None, version: object) -> None:
        """Start loading every panel at its estimated size while the browser is still starting the page."""
        self.run, self.run_version, self.version_run = run, version, run
        if run is None:
            return
        for card in self.cards.values():
            task = background_tasks.create(self._load(card, run, version), name=f"prefetch panel {card.id}")
            card.prefetched = Prefetched(run, card.size, task)

    async def set_runs(self, text: str | None) -> None:
        """Change the trend panels' run range (already checked) and redraw only those panels."""
        self.runs_text = text
        ui.navigate.history.replace(self.url())
        across = [card for card in self.cards.values() if card.spec.follows_run_range()]
        await self.refresh(*across)

    async def set_reference(self, run: int | None) -> None:
        """Pin ``run`` (None: unpin) as the dashboard's reference run and redraw the panels that show it."""
        if not await self.save(self.spec.model_copy(update={"reference_run": run})):
            return
        self.url_reference = None  # the one pinned now is the one shown
        ui.navigate.history.replace(self.url())
        ui.notify(f"Reference run: {run}." if run is not None else "No reference run.")
        shown = [card for card in self.cards.values() if chart_type(card.spec.type).takes_reference]
        await self.refresh(*shown)

    async def _load(self, card: PanelCard, run: int, version: object) -> PanelContent:
        chart = chart_type(card.spec.type)
        # every panel gets the run range: overlays of the runs with a tag look for them there
        runs = resolve_runs(self.runs_text, run, max_runs=self.access.settings.max_range)
        reference = card.spec.reference_for(self.reference_run) if chart.takes_reference else None
        target = Target(run, runs, reference)
        return await in_thread(
            load_panel, self.access, card.spec, target, card.size, self._publish, cache=self.values, version=version
        )

    async def start(self, run: int | None) -> None:
        """First load, once the browser is connected: at once when this browser's grid column width is known from
        an earlier visit (the panel sizes estimated from it are right), else (briefly) after it reported the sizes."""
        self.run = run
        if self.cards and COLUMN_KEY not in app.storage.user:
            try:
                await asyncio.wait_for(self.sizes_seen.wait(), SIZES_TIMEOUT)
            except TimeoutError:
                log.debug("no panel sizes from the browser; drawing at estimated sizes")
        self.started = True
        await self.refresh_all()

    async def set_run(self, run: int, version: object) -> None:
        previous = self.run
        self.run, self.run_version, self.version_run = run, version, run
        ui.navigate.history.replace(self.url())
        await self.refresh_all()
        if previous not in (None, run) and not self.live:
            self._read_ahead(run, forward=run > (previous or 0))

    def _read_ahead(self, run: int, *, forward: bool) -> None:
        """Prepare the panels of the run after ``run`` in the direction the user is stepping, in the background."""
        if self.ahead is not None:
            self.ahead.cancel()
        self.ahead = background_tasks.create(self._prepare_next(run, forward), name=f"read ahead of run {run}")

    async def _prepare_next(self, run: int, forward: bool) -> None:
        await asyncio.sleep(READ_AHEAD_DELAY)  # after the browser has drawn this run
        found = await in_thread(run_queries.neighbour_run, self.access, run, forward=forward)
        images: list[str] = []
        for card in list(self.cards.values()):
            if found is None or self.run != run:
                return  # no further run, or the user moved on
            key = self._recent_key(card, found.run, found.ingested_at)
            if not chart_type(card.spec.type).across_runs and card.recent.get(key) is None:
                content = await self._load(card, found.run, found.ingested_at)
                if content.state != "error":
                    card.recent.put(key, content)
                    images += (content.option or {}).get("alpacaImages", [])
        if self.charts is not None:
            self.charts.preload(images)

    async def refresh_all(self) -> None:
        if self.run is not None and self.version_run != self.run:
            found = await in_thread(run_queries.get_run, self.access, self.run)
            self.run_version = None if found is None else found.ingested_at
            self.version_run = self.run
        await self.refresh(*self.cards.values())

    async def refresh(self, *cards: PanelCard) -> None:
        """Load the cards' content for the shown run and show it.

        What is ready within ``BATCH_SECONDS`` is shown together, in one message to the browser; slower panels
        follow one by one as they arrive.
        """
        if self.run is None or not cards:
            for card in cards:
                card.show(PanelContent("nodata", message="No run selected"))
            return
        loads: dict[asyncio.Future[PanelContent], tuple[PanelCard, int]] = {}
        for card in cards:
            card.generation += 1
            loads[asyncio.ensure_future(self._content(card, self.run))] = (card, card.generation)
        done, pending = await asyncio.wait(loads, timeout=BATCH_SECONDS)
        while True:
            for future in done:
                await self._present(*loads[future], future.result())
            if not pending:
                return
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)

    async def _content(self, card: PanelCard, run: int) -> PanelContent:
        version = self.run_version if run == self.version_run else None
        key = self._recent_key(card, run, version)
        recent = card.recent.get(key)
        if recent is not None:
            return recent  # flipping back to a run just shown: the same content (and PNG, from the browser's cache)
        # the spinner only for a slow load: shown and hidden again at once, it costs the browser a repaint per panel
        spinner = asyncio.get_running_loop().call_later(SPINNER_DELAY, card.show_loading)
        prefetched, card.prefetched = card.prefetched, None
        try:
            if prefetched is not None and prefetched.run == run and similar(prefetched.size, card.size):
                content = await prefetched.task
            else:
                # the user is part of the key: image panels publish their PNG to the user who asked
                content = await self.shared.get_or_compute((self.user.id, key), lambda: self._load(card, run, version))
        finally:
            spinner.cancel()
        if content.state != "error":
            card.recent.put(key, content)
        return content

    def _recent_key(self, card: PanelCard, run: int, version: object) -> Hashable:
        """What a panel's content depends on besides the stored data of ``run`` (whose version is in the key)."""
        return (run, version, card.size, card.spec.model_dump_json(), self.reference_run, self.runs_text)

    async def _present(self, card: PanelCard, generation: int, content: PanelContent) -> None:
        if generation != card.generation or self.cards.get(card.id) is not card:
            return  # a newer run or edit took over, or the panel is gone
        if self.budget is not None and not card.goes_straight_to_chart(content):  # element updates share a message
            await self.budget.reserve(estimate_bytes(content.option or content.rows))
        card.show(fitted(card, content))
        await self.alarms.show(card, content, self.run, self.cards)

    def _publish(self, png: bytes) -> str:
        return image_url(self.images.put(self.user.id, png))

    async def on_sizes(self, sizes: dict[str, list[int]]) -> None:
        changed = []
        for panel_id, size in sizes.items():
            card = self.cards.get(panel_id)
            if card is None or not isinstance(size, list) or len(size) != 2 or min(size) <= 0:
                continue
            new = (int(size[0]), int(size[1]))
            if not similar(new, card.size):
                changed.append(card)
            elif card.spec.type == "image" and card.content is not None and moved_by(new, card.size) > REGRID_PIXELS:
                card.size = new
                card.show(fitted(card, card.content))  # the same PNG, placed for square pixels again
            card.size, card.sized = new, True
        if any(card.sized for card in self.cards.values()):
            self.sizes_seen.set()
            remember_column_width(self.cards.values())
        if self.started and changed:
            await self.refresh(*changed)

    @property
    def can_edit(self) -> bool:
        """What saving will allow: an editor's own dashboard, or one shared editable (the query checks again)."""
        return self.dashboard.is_changeable_by(self.user.id, self.user.role)

    def _allowed(self) -> bool:
        if not self.can_edit:
            ui.notify(READ_ONLY, type="warning")
        return self.can_edit

    async def save(self, spec: DashboardSpec) -> bool:
        if not self._allowed():
            return False
        async with self.save_lock:
            return await self._store(spec)

    async def _store(self, spec: DashboardSpec) -> bool:
        try:
            self.dashboard = await in_thread(store.save_dashboard, self.access, self.dashboard.id, self.user.id, spec)
        except store.DashboardNotFound:
            ui.notify("This dashboard no longer exists.", type="negative")
            return False
        if self.version_label is not None:
            self.version_label.set_text(f"v{self.dashboard.version}")
        return True

    async def on_layout(self, layout: list[dict[str, Any]]) -> None:
        """Save the positions the grid reports; repeats of the saved layout are ignored."""
        if not self.can_edit:
            return
        async with self.save_lock:  # compare with the spec as last saved, not as it was before a pending save
            merged = merge_layout(self.spec, layout)
            if merged is None or not await self._store(merged):
                return
        for panel in merged.panels:
            if panel.id in self.cards:
                self.cards[panel.id].spec = panel

    async def save_panel(self, panel: PanelSpec) -> None:
        """Add a new panel at the bottom, or replace an edited one in place."""
        if self.spec.panel(panel.id) is None:
            position = first_free_place(self.spec.panels, panel.layout.w, panel.layout.h)
            panel = panel.model_copy(update={"layout": position})
            panels = [*self.spec.panels, panel]
        else:
            panels = [panel if p.id == panel.id else p for p in self.spec.panels]
        if not await self.save(DashboardSpec(panels=panels, reference_run=self.spec.reference_run)):
            return
        card = self.cards.get(panel.id)
        if card is None:
            card = self._add_card(panel)
        else:
            card.spec = panel
            card.set_title(panel.title or panel.observables[0].split("*")[-1])
        await self.refresh(card)

    async def open_edit(self, panel_id: str) -> None:
        panel = self.spec.panel(panel_id)
        if panel is not None and self._allowed() and self.edit_panel is not None:
            await self.edit_panel(panel)

    async def duplicate_panel(self, panel_id: str) -> None:
        panel = self.spec.panel(panel_id)
        if panel is not None:
            copy = panel.model_copy(update={"id": new_panel_id(), "title": panel.title})
            await self.save_panel(copy)

    async def remove_panel(self, panel_id: str) -> None:
        panels = [p for p in self.spec.panels if p.id != panel_id]
        spec = DashboardSpec(panels=panels, reference_run=self.spec.reference_run)
        if len(panels) == len(self.spec.panels) or not await self.save(spec):
            return
        self.cards.pop(panel_id, None)
        if self.grid is not None:
            self.grid.remove_item(panel_id)
