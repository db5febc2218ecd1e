"""The warn / alarm badges of one open dashboard: one per panel out of bounds, and the page's summary."""

from __future__ import annotations

from nicegui import ui

from alpaca_dash.content.alarms import LEVEL_COLORS, Level, panel_level, summarise_levels
from alpaca_dash.content.data import PanelContent
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.quality import observable_states
from alpaca_dash.web.dashboard.panel_card import PanelCard
from alpaca_dash.web.threads import in_thread


class AlarmBadges:
    """Levels of the panels for the shown run, from its stored quality-check results where a check judged the
    panel's observable, else the panel's own bounds; the summary (placed by ``add_summary``) names the panels in
    alarm."""

    def __init__(self, access: DataAccess | None = None) -> None:
        self.access = access
        self.levels: dict[str, Level | None] = {}
        self.badges: dict[str, ui.badge] = {}
        self.summary: ui.badge | None = None
        self._states: tuple[int | None, dict[str, str]] = (None, {})

    def add_summary(self) -> ui.badge:
        """The badge naming the panels out of bounds, here; hidden while none is."""
        self.summary = ui.badge("", color="negative").mark("alarm-summary")
        self.summary.set_visibility(False)
        return self.summary

    async def states_of(self, run: int | None) -> dict[str, str]:
        """The worst stored check state of each observable of ``run``, read once per run shown."""
        if self.access is None or run is None:
            return {}
        if self._states[0] != run:
            found = await in_thread(observable_states, self.access, run)
            states = {name: row.state.value for name, row in found.items()}
            if not states:  # not judged yet (results follow the commit): read again next time
                return states
            self._states = (run, states)
        return self._states[1]

    @staticmethod
    def level_of(card: PanelCard, content: PanelContent, states: dict[str, str]) -> Level | None:
        """The level of the card showing ``content``, given the run's check ``states`` (``states_of``, read before
        the panels of a run are shown: awaited per panel, each chart update would go out in a message of its own)."""
        return panel_level(card.spec, content, states)

    def show(self, card: PanelCard, level: Level | None, cards: dict[str, PanelCard]) -> None:
        """Badge the card at ``level`` (``level_of``) and name it in the summary if it is out of bounds."""
        self.levels[card.id] = level
        badge = self.badges.get(card.id)
        if badge is None and level in LEVEL_COLORS and card.badge.parent_slot is not None:
            with card.badge.parent_slot:
                badge = self.badges[card.id] = ui.badge().mark(f"level-{card.id}")
        if badge is not None:
            badge.set_text(level or "")
            badge.props(f"color={LEVEL_COLORS.get(level or '', 'grey')}")
            badge.set_visibility(level in LEVEL_COLORS)
        if self.summary is not None:
            titles = {key: c.title.text for key, c in cards.items()}
            text, names = summarise_levels({k: v for k, v in self.levels.items() if k in cards}, titles)
            self.summary.set_text(f"{text}: {names}" if text else "")
            self.summary.props(f"color={'negative' if 'alarm' in text else 'orange'}")
            self.summary.set_visibility(bool(text))
