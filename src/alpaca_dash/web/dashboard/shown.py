"""What one open dashboard shows, as immutable values: the run on screen, and the state its URL is made from."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime


@dataclass(frozen=True)
class ShownRun:
    """The run on screen and the version of its stored data (its ``ingested_at``): a run ingested again is another
    version, so nothing drawn from the old data is shown for it."""

    run: int
    version: datetime | None = None


@dataclass(frozen=True)
class DashboardState:
    """Everything the dashboard's URL says: the run, live and kiosk mode, and the trend panels' run range."""

    dashboard_id: int
    shown: ShownRun | None = None
    live: bool = False
    kiosk: bool = False
    #: the run range of the panels across runs: None (the default), ``lastN`` or ``a-b``, already checked
    runs_text: str | None = None
    #: a reference run from the address (``&reference=``), over the dashboard's pinned one, for this view only
    reference: int | None = None

    @property
    def run(self) -> int | None:
        return None if self.shown is None else self.shown.run

    def showing(self, shown: ShownRun | None) -> DashboardState:
        return replace(self, shown=shown)

    def following(self, live: bool) -> DashboardState:
        return replace(self, live=live)

    def with_runs(self, runs_text: str | None) -> DashboardState:
        return replace(self, runs_text=runs_text)

    def with_reference(self, reference: int | None) -> DashboardState:
        return replace(self, reference=reference)

    def url(self, theme: str) -> str:
        """The dashboard's address for this state, in ``theme``."""
        query = f"?run={self.run}&theme={theme}" if self.run is not None else f"?theme={theme}"
        query += "&live=1" if self.live else ""
        query += "&kiosk=1" if self.kiosk else ""
        query += f"&runs={self.runs_text}" if self.runs_text else ""
        query += f"&reference={self.reference}" if self.reference is not None else ""
        return f"/dashboard/{self.dashboard_id}{query}"
