"""The seam between panel content and storage: what a chart type reads (``PanelData``) and what it returns.

Chart types read values only through ``PanelData``, so this package imports no storage code: ``queries.panel_data``
implements it over the database and the sidecar (with the shared value cache), and tests can implement it over
arrays in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from alpaca_dash.content.zoom import Zoom
from alpaca_dash.domain import Observable, Statistic, Trend
from alpaca_dash.run_range import RunRange
from alpaca_dash.types import Array

State = Literal["ready", "nodata", "error"]
#: a panel body's width and height in pixels
Size = tuple[int, int]
#: stores a PNG for the viewer and returns the URL the browser fetches it from
PublishImage = Callable[[bytes], str]


class NoData(Exception):
    """The run has no value to show; the message says which (``No data for this run`` when empty)."""


@dataclass(frozen=True)
class PanelContent:
    """What a panel shows for one run: an ECharts option, table rows, or why there is nothing."""

    state: State
    option: dict[str, Any] | None = None
    rows: list[dict[str, str]] = field(default_factory=list)
    message: str = ""
    #: the shown run's value, for chart types judged against warn and alarm bounds
    value: float | None = None


@dataclass(frozen=True)
class Download:
    """A file of a panel's data, to save."""

    filename: str
    content: bytes
    media_type: str


@dataclass(frozen=True)
class Target:
    """What a panel is drawn for.

    :param run: the shown run.
    :param runs: the run range of panels across runs (None for the others).
    :param reference: the reference run, if one is pinned (the panel's own, else the dashboard's).
    :param zoom: the window the panel is zoomed into, drawn at full resolution (None: the whole of it).
    """

    run: int
    runs: RunRange | None = None
    reference: int | None = None
    zoom: Zoom | None = None

    @property
    def compared(self) -> int | None:
        """The reference run when there is one to compare with (not the shown run itself)."""
        return None if self.reference in (None, self.run) else self.reference


class PanelData(Protocol):
    """The reads a chart type makes. Implementations may cache; none of these is called on the event loop."""

    def observables(self, names: Sequence[str]) -> Mapping[str, Observable]:
        """The registered observables of ``names``, by name. :raises UnknownObservable: for a name not registered."""
        ...

    def value(self, observable: Observable, run: int) -> Array:
        """The shown run's value. :raises NoData: when the run has none (or an empty one)."""
        ...

    def other_run_value(self, observable: Observable, run: int) -> Array | None:
        """Another run's value (the reference), None when that run or its value is missing."""
        ...

    def scalars(self, observables: Sequence[Observable], run: int) -> Mapping[int, Array]:
        """The run's values of several scalars, by observable id (missing ones left out)."""
        ...

    def trend(self, observable: Observable, runs: RunRange, statistic: Statistic | None, *, width: int = 0) -> Trend:
        """The observable's value (or the array's ``statistic``) per stored run of ``runs``; with ``width`` (the
        panel's pixels), possibly rollup buckets where there are more runs than pixels (``Trend.bucket_runs``)."""
        ...

    def run_numbers(
        self,
        *,
        before: int | None = None,
        within: RunRange | None = None,
        tag: str | None = None,
        good: bool | None = None,
        limit: int,
    ) -> list[int]:
        """Ingested runs, newest first, at most ``limit``: below ``before``, inside ``within``, carrying ``tag``,
        with the good flag ``good`` (None: any of each)."""
        ...

    def run_notes(self, within: RunRange, *, limit: int) -> Mapping[int, str]:
        """The comments and tags of the runs of ``within`` that have any (``"beam lost · calibration"``), newest
        first, at most ``limit``."""
        ...

    def run_times(self, runs: Array) -> Array:
        """Start times (datetime64, NaT where unknown) of ``runs``."""
        ...

    def publish_image(self, png: bytes) -> str:
        """Keep a PNG for the browser; the URL it is fetched from."""
        ...
