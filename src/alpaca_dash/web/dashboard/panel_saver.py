"""Saving one open dashboard's changes: the layout, a new or edited panel, a copy, a removal, the reference run."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from alpaca_dash.content.layout import first_free_place
from alpaca_dash.content.spec import DashboardSpec, PanelSpec, new_panel_id
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import User
from alpaca_dash.web.dashboard.panel_sizes import merge_layout
from alpaca_dash.web.threads import in_thread

READ_ONLY = "Viewers cannot change dashboards."
GONE = "This dashboard no longer exists."


Severity = Literal["warning", "negative"]
#: told why nothing was saved: a message for the user and how bad it is
Refused = Callable[[str, Severity], None]


class PanelSaver:
    """Saves changes one at a time, each against the dashboard as last saved.

    :param on_saved: called with the dashboard after each save (its new version).
    :param may_act: asked before each save whether the session's account may still save (the page passes the
        one role check of ``web.auth``; it says why not itself).
    :param on_refused: called when nothing was saved because the user may not change the dashboard, or it was
        deleted meanwhile.
    """

    def __init__(
        self,
        access: DataAccess,
        user: User,
        dashboard: store.Dashboard,
        *,
        on_saved: Callable[[store.Dashboard], None],
        on_refused: Refused,
        may_act: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self.access = access
        self._may_act = may_act
        self.user = user
        self._dashboard = dashboard
        self._on_saved = on_saved
        self._on_refused = on_refused
        self._lock = asyncio.Lock()

    @property
    def dashboard(self) -> store.Dashboard:
        """The dashboard as last saved (or loaded)."""
        return self._dashboard

    @property
    def spec(self) -> DashboardSpec:
        return self._dashboard.spec

    @property
    def can_edit(self) -> bool:
        """What saving will allow: an editor's own dashboard, or one shared editable (the query checks again)."""
        return self._dashboard.is_changeable_by(self.user.id, self.user.role)

    def allowed(self) -> bool:
        """Whether this user may change the dashboard; ``on_refused`` hears when not."""
        if not self.can_edit:
            self._on_refused(READ_ONLY, "warning")
        return self.can_edit

    async def save(self, spec: DashboardSpec) -> store.Dashboard | None:
        """The dashboard saved with ``spec``; None when refused."""
        if not self.allowed():
            return None
        async with self._lock:
            return await self._store(spec)

    async def _store(self, spec: DashboardSpec) -> store.Dashboard | None:
        if self._may_act is not None and not await self._may_act():  # the account and role as they are now
            return None
        try:
            saved = await in_thread(store.save_dashboard, self.access, self._dashboard.id, self.user.id, spec)
        except store.DashboardNotFound:
            self._on_refused(GONE, "negative")
            return None
        self._dashboard = saved
        self._on_saved(saved)
        return saved

    async def save_layout(self, layout: list[dict[str, Any]]) -> DashboardSpec | None:
        """Save the positions the grid reports: the spec saved, or None when there was nothing to save (a repeat of
        the saved layout, an invalid one, or a user who may not edit: silently) or it was refused."""
        if not self.can_edit:
            return None
        async with self._lock:  # compare with the spec as last saved, not as it was before a pending save
            merged = merge_layout(self.spec, layout)
            if merged is None or await self._store(merged) is None:
                return None
        return merged

    async def save_panel(self, panel: PanelSpec) -> PanelSpec | None:
        """Add a new panel at the first free place of the grid, or replace an edited one in place: the panel as
        saved, None when refused."""
        spec = self.spec
        if spec.panel(panel.id) is None:
            position = first_free_place(spec.panels, panel.layout.w, panel.layout.h)
            panel = panel.model_copy(update={"layout": position})
            panels = [*spec.panels, panel]
        else:
            panels = [panel if p.id == panel.id else p for p in spec.panels]
        saved = await self.save(DashboardSpec(panels=panels, reference_run=spec.reference_run))
        return None if saved is None else panel

    async def duplicate(self, panel_id: str) -> PanelSpec | None:
        """Save a copy of the panel in the first free place: the copy, None when there is no such panel or when
        refused."""
        panel = self.spec.panel(panel_id)
        if panel is None:
            return None
        return await self.save_panel(panel.model_copy(update={"id": new_panel_id(), "title": panel.title}))

    async def remove(self, panel_id: str) -> bool:
        """Save the dashboard without the panel; False when there is no such panel or when refused."""
        panels = [p for p in self.spec.panels if p.id != panel_id]
        if len(panels) == len(self.spec.panels):
            return False
        return await self.save(DashboardSpec(panels=panels, reference_run=self.spec.reference_run)) is not None

    async def set_reference(self, run: int | None) -> bool:
        """Pin ``run`` (None: unpin) as the dashboard's reference run; False when refused."""
        return await self.save(self.spec.model_copy(update={"reference_run": run})) is not None
