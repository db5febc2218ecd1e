"""One open dashboard: its cards in the grid and what happens on the user's events. The state its URL says is one
immutable value; loading panel contents is the ``PanelLoader``'s work, saving changes the ``PanelSaver``'s."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from nicegui import app, ui

from alpaca_dash.content.charts.stat import in_level as stat_in_level
from alpaca_dash.content.data import NoData, PanelContent
from alpaca_dash.content.registry import chart_type
from alpaca_dash.content.spec import DashboardSpec, PanelSpec
from alpaca_dash.content.value_cache import ValueCache
from alpaca_dash.domain import Observable
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.panel_data import load_download
from alpaca_dash.queries.users import Role, User
from alpaca_dash.web.auth import acting_user
from alpaca_dash.web.dashboard.alarm_badges import AlarmBadges
from alpaca_dash.web.dashboard.budget import MessageBudget, estimate_bytes
from alpaca_dash.web.dashboard.chart_updates import ChartUpdates
from alpaca_dash.web.dashboard.panel_card import COLUMN_KEY, PanelCard
from alpaca_dash.web.dashboard.panel_dialog import PanelDialog
from alpaca_dash.web.dashboard.panel_loader import LoadTarget, PanelLoader
from alpaca_dash.web.dashboard.panel_saver import READ_ONLY, PanelSaver, Severity
from alpaca_dash.web.dashboard.panel_sizes import REGRID_PIXELS, fitted, moved_by, remember_column_width, similar
from alpaca_dash.web.dashboard.shared_contents import SharedContents
from alpaca_dash.web.dashboard.shown import DashboardState, ShownRun
from alpaca_dash.web.grid import PanelGrid
from alpaca_dash.web.image_cache import ImageCache, PanelFile
from alpaca_dash.web.routes import download_url, image_url
from alpaca_dash.web.theme import THEME_KEY
from alpaca_dash.web.threads import in_thread

log = logging.getLogger(__name__)
#: how long the first load waits for the browser to report the panel sizes
SIZES_TIMEOUT = 1.0
#: a grid column's width in pixels before the browser has told (a 1400-pixel wide window)
DEFAULT_COLUMN_PX = 112


class DashboardView:
    """Built where the page's body starts (the panel dialog's anchor goes there); the page then places the version
    label, the alarm summary and the grid where it wants them."""

    def __init__(
        self,
        access: DataAccess,
        user: User,
        dashboard: store.Dashboard,
        state: DashboardState,
        *,
        images: ImageCache,
        values: ValueCache,
        shared: SharedContents | None = None,
    ) -> None:
        """:param shared: contents computed once for every page of the process (a private one when none is given)."""
        self.access = access
        self.user = user
        self.images = images
        self._state = state
        self.saver = PanelSaver(
            access, user, dashboard, on_saved=self._show_version, on_refused=self._tell, may_act=self._acting
        )
        client = ui.context.client
        self.charts = ChartUpdates(client)
        self.budget = MessageBudget(client)
        self.loader = PanelLoader(access, values, self._publish, self.charts.preload, shared=shared, owner=user.id)
        self.alarms = AlarmBadges(access)
        self.cards: dict[str, PanelCard] = {}
        self._grid: PanelGrid | None = None
        self._go_to_run: Callable[[int], Awaitable[Any]] | None = None
        self._version_label: ui.label | None = None
        self._started = False
        self._sizes_seen = asyncio.Event()
        anchor = ui.element("div")  # parent of the dialogs built on first use
        self.dialog = PanelDialog(access, self.save_panel, anchor) if self.can_edit else None

    @property
    def state(self) -> DashboardState:
        return self._state

    @property
    def run(self) -> int | None:
        return self._state.run

    @property
    def dashboard(self) -> store.Dashboard:
        return self.saver.dashboard

    @property
    def spec(self) -> DashboardSpec:
        return self.saver.spec

    @property
    def can_edit(self) -> bool:
        return self.saver.can_edit

    def url(self) -> str:
        return self._state.url(app.storage.user.get(THEME_KEY, "light"))

    @property
    def reference_run(self) -> int | None:
        """The reference the panels draw: the address's, else the dashboard's pinned one."""
        return self._state.reference if self._state.reference is not None else self.spec.reference_run

    def _target(self, shown: ShownRun) -> LoadTarget:
        return LoadTarget(shown, self.reference_run, self._state.runs_text)

    def _publish(self, png: bytes) -> str:
        return image_url(self.images.put(self.user.id, png))

    # -- placing

    def add_version_label(self) -> ui.label:
        self._version_label = ui.label(f"v{self.dashboard.version}").classes("text-grey").props("data-testid=version")
        self._version_label.tooltip("Saved version")
        return self._version_label

    def _show_version(self, saved: store.Dashboard) -> None:
        if self._version_label is not None:
            self._version_label.set_text(f"v{saved.version}")

    def _tell(self, message: str, severity: Severity) -> None:
        ui.notify(message, type=severity)

    def place_grid(self, *, go_to_run: Callable[[int], Awaitable[Any]]) -> PanelGrid:
        """The grid with a card per panel, here.

        :param go_to_run: shows a run as if picked by hand (the run bar's ``go_to``), for clicks on points that are
            runs.
        """
        self._go_to_run = go_to_run
        self._grid = PanelGrid(editable=self.can_edit, on_layout=self.on_layout, on_sizes=self.on_sizes)
        for panel in self.spec.panels:
            self._add_card(self._grid, panel)
        return self._grid

    def _add_card(self, grid: PanelGrid, panel: PanelSpec) -> PanelCard:
        card = PanelCard(
            grid,
            panel,
            column_px=app.storage.user.get(COLUMN_KEY, DEFAULT_COLUMN_PX),
            editable=self.can_edit,
            charts=self.charts,
            on_edit=self.open_edit,
            on_duplicate=self.duplicate_panel,
            on_remove=self.remove_panel,
            on_run=self.open_run if chart_type(panel.type).across_runs else None,
            on_zoom=self.zoom_panel if chart_type(panel.type).zooms else None,
            on_download=self.download_panel,
        )
        self.cards[panel.id] = card
        return card

    # -- the shown run and the URL

    async def open_run(self, run: int) -> None:
        if self._go_to_run is not None and run != self.run:
            await self._go_to_run(run)

    def prefetch(self) -> None:
        """Start loading every panel at its estimated size while the browser is still starting the page."""
        if self._state.shown is not None:
            self.loader.prefetch(list(self.cards.values()), self._target(self._state.shown))

    async def start(self) -> None:
        """First load, once the browser is connected: at once when this browser's grid column width is known from
        an earlier visit (the panel sizes estimated from it are right), else (briefly) after it reported the sizes."""
        if self.cards and COLUMN_KEY not in app.storage.user:
            try:
                await asyncio.wait_for(self._sizes_seen.wait(), SIZES_TIMEOUT)
            except TimeoutError:
                log.debug("no panel sizes from the browser; drawing at estimated sizes")
        self._started = True
        await self.refresh_all()

    async def set_run(self, shown: ShownRun) -> None:
        previous = self._state.run
        self._state = self._state.showing(shown)
        ui.navigate.history.replace(self.url())
        await self.refresh_all()
        if previous not in (None, shown.run) and not self._state.live:
            forward = shown.run > (previous or 0)
            still_shown = lambda: self._state.shown == shown  # noqa: E731
            self.loader.read_ahead(
                list(self.cards.values()), self._target(shown), forward=forward, still_shown=still_shown
            )

    async def set_live(self, live: bool) -> None:
        self._state = self._state.following(live)
        ui.navigate.history.replace(self.url())

    async def set_runs(self, text: str | None) -> None:
        """Change the trend panels' run range (already checked) and redraw only those panels."""
        self._state = self._state.with_runs(text)
        ui.navigate.history.replace(self.url())
        await self.refresh([card for card in self.cards.values() if card.spec.follows_run_range()])

    # -- drawing

    async def refresh_all(self) -> None:
        await self.refresh(list(self.cards.values()))

    async def refresh(self, cards: Sequence[PanelCard]) -> None:
        """Load the cards' content for the shown run and show it."""
        shown = self._state.shown
        if shown is None:
            for card in cards:
                card.show(PanelContent("nodata", message="No run selected"))
            return
        states = await self.alarms.states_of(shown.run)

        async def present(card: PanelCard, content: PanelContent) -> None:
            await self._present(card, content, states)

        await self.loader.refresh(cards, self._target(shown), present)

    async def zoom_panel(self, card: PanelCard) -> None:
        """Draw the window the user zoomed into from the stored array (or the overview again, zoomed out)."""
        await self.refresh([card])

    async def download_panel(self, card: PanelCard, fmt: str) -> None:
        """The panel's stored data for the shown run as a file, fetched by the browser over HTTP."""
        shown = self._state.shown
        if shown is None:
            ui.notify("No run is shown.", type="warning")
            return
        target = self.loader.target_of(card, self._target(shown))
        try:
            found = await in_thread(
                load_download, self.access, card.spec, target, fmt, cache=self.loader.values, version=shown.version
            )
        except NoData as exc:
            ui.notify(f"Run {shown.run}: {exc}", type="warning")
            return
        except ValueError as exc:
            ui.notify(str(exc), type="warning")
            return
        token = self.images.put_file(PanelFile(self.user.id, found.content, found.media_type, found.filename))
        ui.download.from_url(download_url(token), found.filename, found.media_type)

    async def _present(self, card: PanelCard, content: PanelContent, states: dict[str, str]) -> None:
        if not card.goes_straight_to_chart(content):  # element updates share a message
            await self.budget.reserve(estimate_bytes(content.option or content.rows))
        level = self.alarms.level_of(card, content, states)
        if card.spec.type == "stat":
            content = stat_in_level(content, level)
        card.show(fitted(card, content))
        self.alarms.show(card, level, self.cards)

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
            self._sizes_seen.set()
            remember_column_width(self.cards.values())
        if self._started and changed:
            await self.refresh(changed)

    # -- changes

    async def _acting(self) -> bool:
        """Whether the session may save now: still this page's user, enabled and an editor in the database."""
        return await acting_user(self.access, Role.EDITOR, page_user=self.user, refusal=READ_ONLY) is not None

    async def set_reference(self, run: int | None) -> None:
        """Pin ``run`` (None: unpin) as the dashboard's reference run and redraw the panels that show it."""
        if not await self.saver.set_reference(run):
            return
        self._state = self._state.with_reference(None)  # the one pinned now is the one shown
        ui.navigate.history.replace(self.url())
        ui.notify(f"Reference run: {run}." if run is not None else "No reference run.")
        await self.refresh([card for card in self.cards.values() if chart_type(card.spec.type).takes_reference])

    async def on_layout(self, layout: list[dict[str, Any]]) -> None:
        """Save the positions the grid reports; repeats of the saved layout are ignored."""
        merged = await self.saver.save_layout(layout)
        for panel in merged.panels if merged is not None else []:
            if panel.id in self.cards:
                self.cards[panel.id].spec = panel

    async def save_panel(self, panel: PanelSpec) -> None:
        """Add a new panel at the bottom, or replace an edited one in place."""
        saved = await self.saver.save_panel(panel)
        if saved is not None:
            await self._place_saved(saved)

    async def _place_saved(self, panel: PanelSpec) -> None:
        card = self.cards.get(panel.id)
        if card is None:
            assert self._grid is not None
            card = self._add_card(self._grid, panel)
        else:
            card.spec = panel
            card.set_title(panel.title or panel.observables[0].split("*")[-1])
        await self.refresh([card])

    async def open_new(self, item: Observable | None) -> None:
        if self.dialog is not None:
            await self.dialog.open_new(item)

    async def open_edit(self, panel_id: str) -> None:
        panel = self.spec.panel(panel_id)
        if panel is not None and self.saver.allowed() and self.dialog is not None:
            await self.dialog.open_edit(panel)

    async def duplicate_panel(self, panel_id: str) -> None:
        copy = await self.saver.duplicate(panel_id)
        if copy is not None:
            await self._place_saved(copy)

    async def remove_panel(self, panel_id: str) -> None:
        if not await self.saver.remove(panel_id):
            return
        self.cards.pop(panel_id, None)
        self.loader.forget(panel_id)
        if self._grid is not None:
            self._grid.remove_item(panel_id)
