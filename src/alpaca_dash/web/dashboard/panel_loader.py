"""Loading the panels' contents for the shown run: started before the browser connects, kept for flipping back,
read ahead in the direction the user steps, and shown together when they arrive together."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from nicegui import background_tasks

from alpaca_dash.content.across_runs import resolve_runs
from alpaca_dash.content.data import PanelContent, Target
from alpaca_dash.content.registry import chart_type
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.content.value_cache import ValueCache
from alpaca_dash.content.zoom import Zoom
from alpaca_dash.queries import runs as run_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.panel_data import load_panel
from alpaca_dash.web.dashboard.panel_sizes import similar
from alpaca_dash.web.dashboard.shared_contents import SharedContents
from alpaca_dash.web.dashboard.shown import ShownRun
from alpaca_dash.web.threads import in_thread

#: contents kept per panel: the shown run's, the one before (users compare two runs) and the one read ahead
RECENT_CONTENTS = 3
#: seconds a panel's load may take before it shows a spinner
SPINNER_DELAY = 0.3
#: seconds after a run switch before the next run in the same direction is prepared
READ_AHEAD_DELAY = 0.1
#: how long a run switch waits to show every panel at once before showing each as it arrives
BATCH_SECONDS = 0.25


class Panel(Protocol):
    """What the loader needs of a panel on screen (a ``PanelCard``)."""

    @property
    def spec(self) -> PanelSpec: ...

    @property
    def size(self) -> tuple[int, int]:
        """The panel body's pixels, which set the downsampling and the image placement."""

    @property
    def zoom(self) -> Zoom | None:
        """The window the panel is zoomed into, drawn at full resolution (None: not zoomed)."""

    def show_loading(self) -> None: ...


P = TypeVar("P", bound=Panel)
Present = Callable[[P, PanelContent], Awaitable[None]]


@dataclass(frozen=True)
class LoadTarget:
    """What the panels are drawn for: the shown run, the dashboard's reference run, the trend panels' range."""

    shown: ShownRun
    reference_run: int | None = None
    runs_text: str | None = None

    def toward(self, shown: ShownRun) -> LoadTarget:
        return LoadTarget(shown, self.reference_run, self.runs_text)


class RecentContents:
    """A panel's last few contents by what they were drawn from, so that flipping between runs redraws nothing."""

    def __init__(self, size: int = RECENT_CONTENTS) -> None:
        self.size = size
        self._contents: OrderedDict[Hashable, PanelContent] = OrderedDict()

    def get(self, key: Hashable) -> PanelContent | None:
        return self._contents.get(key)

    def put(self, key: Hashable, content: PanelContent) -> None:
        self._contents[key] = content
        self._contents.move_to_end(key)
        while len(self._contents) > self.size:
            self._contents.popitem(last=False)


@dataclass(frozen=True)
class Prefetched:
    """A panel's content being loaded before the browser connected, for ``run`` at ``size``."""

    run: int
    size: tuple[int, int]
    task: asyncio.Task[PanelContent]


@dataclass
class _PanelLoads:
    recent: RecentContents = field(default_factory=RecentContents)
    prefetched: Prefetched | None = None
    #: counts the panel's refreshes: only the newest one's content is shown
    generation: int = 0


def recent_key(panel: Panel, target: LoadTarget) -> Hashable:
    """What a panel's content depends on besides the stored data of the run (whose version is in the key)."""
    shown = target.shown
    spec = panel.spec.model_dump_json()
    return (shown.run, shown.version, panel.size, spec, target.reference_run, target.runs_text, panel.zoom)


class PanelLoader:
    """Loads the contents of one dashboard's panels (by panel id) for one user.

    :param publish: turns a rendered PNG into the URL the browser fetches it from.
    :param preload: has the browser fetch PNGs that a panel read ahead will draw.
    :param shared: contents computed once for every page of the process (a private one when none is given).
    :param owner: part of the shared key: image panels publish their PNG to the user who asked.
    """

    def __init__(
        self,
        access: DataAccess,
        values: ValueCache,
        publish: Callable[[bytes], str],
        preload: Callable[[list[str]], None],
        *,
        shared: SharedContents | None = None,
        owner: Hashable = None,
    ) -> None:
        self.access = access
        self.values = values
        self.publish = publish
        self.preload = preload
        self.shared = shared if shared is not None else SharedContents()
        self.owner = owner
        self._loads: dict[str, _PanelLoads] = {}
        self._ahead: asyncio.Task[None] | None = None

    def _of(self, panel: Panel) -> _PanelLoads:
        return self._loads.setdefault(panel.spec.id, _PanelLoads())

    def forget(self, panel_id: str) -> None:
        """The panel is gone: drop what was kept for it, and show nothing still on its way."""
        self._loads.pop(panel_id, None)

    def recent(self, panel: Panel, target: LoadTarget) -> PanelContent | None:
        """The content kept for ``panel`` drawn for ``target``, if any (nothing to load then)."""
        return self._of(panel).recent.get(recent_key(panel, target))

    def prefetch(self, panels: Sequence[Panel], target: LoadTarget) -> None:
        """Start loading every panel at its estimated size while the browser is still starting the page."""
        for panel in panels:
            task = background_tasks.create(self.load(panel, target), name=f"prefetch panel {panel.spec.id}")
            self._of(panel).prefetched = Prefetched(target.shown.run, panel.size, task)

    def target_of(self, panel: Panel, target: LoadTarget) -> Target:
        """What the panel is drawn for: the shown run, the run range, its reference and its zoom."""
        chart, spec, run = chart_type(panel.spec.type), panel.spec, target.shown.run
        # every panel gets the run range: overlays of the runs with a tag look for them there
        runs = resolve_runs(target.runs_text, run, max_runs=self.access.settings.max_range)
        reference = spec.reference_for(target.reference_run) if chart.takes_reference else None
        return Target(run, runs, reference, panel.zoom)

    async def load(self, panel: Panel, target: LoadTarget) -> PanelContent:
        """The panel's content for ``target``, loaded afresh."""
        drawn_for = self.target_of(panel, target)
        return await in_thread(
            load_panel,
            self.access,
            panel.spec,
            drawn_for,
            panel.size,
            self.publish,
            cache=self.values,
            version=target.shown.version,
        )

    async def refresh(self, panels: Sequence[P], target: LoadTarget, present: Present[P]) -> None:
        """Load the panels' contents for ``target`` and hand each to ``present``, unless a newer refresh of the
        panel took over or the panel is gone.

        What is ready within ``BATCH_SECONDS`` is presented together, in one turn of the event loop (one message to
        the browser); slower panels follow one by one as they arrive.
        """
        loads: dict[asyncio.Future[PanelContent], tuple[P, _PanelLoads, int]] = {}
        for panel in panels:
            state = self._of(panel)
            state.generation += 1
            loads[asyncio.ensure_future(self._content(panel, state, target))] = (panel, state, state.generation)
        if not loads:
            return
        done, pending = await asyncio.wait(loads, timeout=BATCH_SECONDS)
        while True:
            for future in done:
                panel, state, generation = loads[future]
                if state.generation == generation and self._loads.get(panel.spec.id) is state:
                    await present(panel, future.result())
            if not pending:
                return
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)

    async def _content(self, panel: Panel, state: _PanelLoads, target: LoadTarget) -> PanelContent:
        key = recent_key(panel, target)
        recent = state.recent.get(key)
        if recent is not None:
            return recent  # flipping back to a run just shown: the same content (and PNG, from the browser's cache)
        # the spinner only for a slow load: shown and hidden again at once, it costs the browser a repaint per panel
        spinner = asyncio.get_running_loop().call_later(SPINNER_DELAY, panel.show_loading)
        prefetched, state.prefetched = state.prefetched, None
        try:
            if prefetched is not None and prefetched.run == target.shown.run and similar(prefetched.size, panel.size):
                content = await prefetched.task
            else:
                content = await self.shared.get_or_compute((self.owner, key), lambda: self.load(panel, target))
        finally:
            spinner.cancel()
        if content.state != "error":
            state.recent.put(key, content)
        return content

    def read_ahead(
        self, panels: Sequence[Panel], target: LoadTarget, *, forward: bool, still_shown: Callable[[], bool]
    ) -> None:
        """Prepare the panels of the run after ``target``'s in the direction the user is stepping, in the
        background, while ``still_shown()`` holds; a newer read-ahead replaces this one."""
        if self._ahead is not None:
            self._ahead.cancel()
        name = f"read ahead of run {target.shown.run}"
        self._ahead = background_tasks.create(self._prepare_next(list(panels), target, forward, still_shown), name=name)

    async def _prepare_next(
        self, panels: list[Panel], target: LoadTarget, forward: bool, still_shown: Callable[[], bool]
    ) -> None:
        await asyncio.sleep(READ_AHEAD_DELAY)  # after the browser has drawn this run
        found = await in_thread(run_queries.neighbour_run, self.access, target.shown.run, forward=forward)
        images: list[str] = []
        for panel in panels:
            if found is None or not still_shown():
                return  # no further run, or the user moved on
            ahead = target.toward(ShownRun(found.run, found.ingested_at))
            state = self._of(panel)
            key = recent_key(panel, ahead)
            if not chart_type(panel.spec.type).across_runs and state.recent.get(key) is None:
                content = await self.load(panel, ahead)
                if content.state != "error":
                    state.recent.put(key, content)
                    images += (content.option or {}).get("alpacaImages", [])
        self.preload(images)
