"""The dashboard's URL is made from one immutable state; changing one part keeps the others."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from alpaca_dash.web.dashboard.shown import DashboardState, ShownRun


def test_the_url_says_the_whole_state() -> None:
    state = DashboardState(7)
    assert state.url("light") == "/dashboard/7?theme=light" and state.run is None
    shown = ShownRun(390002, datetime(2026, 1, 1, tzinfo=UTC))
    full = state.showing(shown).following(True).with_runs("last50")
    assert full.url("dark") == "/dashboard/7?run=390002&theme=dark&live=1&runs=last50" and full.run == 390002
    assert DashboardState(7, kiosk=True).url("light") == "/dashboard/7?theme=light&kiosk=1"
    assert full.following(False).url("dark") == "/dashboard/7?run=390002&theme=dark&runs=last50"
    assert full.with_runs(None).showing(None).url("dark") == "/dashboard/7?theme=dark&live=1"
    assert state == DashboardState(7)  # each change is a new state


def test_states_cannot_be_changed_in_place() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DashboardState(7).live = True  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ShownRun(1).run = 2  # type: ignore[misc]
