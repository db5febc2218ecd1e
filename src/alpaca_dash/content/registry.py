"""The chart types: what each accepts, its options and its loader, declared by its module in ``content/charts/``.

The dialog, the loader, the dashboard spec and the default sizes all read this. Adding a chart type is one module in
``content/charts/`` with a ``CHART = ChartType(...)``, and its name in ``CHART_MODULES`` below.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from alpaca_dash.content.data import Download, PanelContent, PanelData, Size, Target
from alpaca_dash.content.options import BoundedOptions, ChartOptions
from alpaca_dash.domain import ObservableKind

if TYPE_CHECKING:
    from alpaca_dash.content.spec import PanelSpec

#: turns a panel spec into its content for one target (a run, or a run range); may raise (``content.load`` turns
#: exceptions into the panel's message)
Loader = Callable[[PanelData, "PanelSpec", Target, Size], PanelContent]
#: the panel's stored data for one target as a file of the given format (``content.downloads``)
Downloader = Callable[[PanelData, "PanelSpec", Target, str], Download]


@dataclass(frozen=True)
class XObservable:
    """A chart type's optional second observable, drawn on x."""

    kind: ObservableKind
    label: str
    required: bool = False


@dataclass(frozen=True)
class ChartType:
    """One kind of panel.

    :param kinds: the kinds of observable it shows, in the order the picker offers chart types for a kind.
    :param default_size: grid columns and rows of a new panel.
    :param across_runs: its points are runs, over the dashboard's run range, rather than one run's values.
    :param takes_reference: it draws the dashboard's reference run, so it is redrawn when one is pinned.
    :param many: it shows several observables (a table), not one.
    :param download: its data as a file, in one of ``download_formats`` (the first the usual one).
    :param zooms: zooming into it draws the stored array's window at full resolution (``Target.zoom``).
    """

    name: str
    label: str
    kinds: tuple[ObservableKind, ...]
    default_size: tuple[int, int]
    options: type[ChartOptions]
    load: Loader
    across_runs: bool = False
    takes_reference: bool = False
    many: bool = False
    x: XObservable | None = None
    #: turns options saved by an older version of this type into the current ones, before they are validated
    legacy: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    download: Downloader | None = None
    download_formats: tuple[str, ...] = ("csv",)
    zooms: bool = False

    @property
    def has_bounds(self) -> bool:
        """Its value is judged against warn and alarm bounds."""
        return issubclass(self.options, BoundedOptions)


#: the modules of ``content.charts`` that declare a chart type, in the order the panel dialog offers the types for a
#: kind of observable (the first that fits is the default)
CHART_MODULES = ("stat", "table", "line", "scatter", "histogram", "image", "trend", "correlation")
CHART_TYPES: dict[str, ChartType] = {}
_loading = threading.Lock()


def register(chart: ChartType) -> ChartType:
    """Add a chart type (at import of its module). :raises ValueError: when the name is taken."""
    if chart.name in CHART_TYPES:
        raise ValueError(f"chart type {chart.name!r} is registered twice")
    CHART_TYPES[chart.name] = chart
    return chart


def chart_type(name: str) -> ChartType:
    """The registered chart type. :raises ValueError: naming the known ones, for any other name."""
    _load_chart_modules()
    found = CHART_TYPES.get(name)
    if found is None:
        raise ValueError(f"unknown chart type {name!r}: one of {', '.join(CHART_TYPES)}")
    return found


def chart_types() -> list[ChartType]:
    """Every chart type, in registration order."""
    _load_chart_modules()
    return list(CHART_TYPES.values())


def chart_types_for(kind: ObservableKind | str) -> tuple[str, ...]:
    """The chart types valid for an observable of this kind, the default first."""
    wanted = ObservableKind(kind)
    return tuple(chart.name for chart in chart_types() if wanted in chart.kinds)


def _load_chart_modules() -> None:
    """Register the chart types of ``CHART_MODULES`` on first use (their modules import the spec, which reads this
    registry: importing them here at the top would be circular)."""
    if len(CHART_TYPES) >= len(CHART_MODULES):
        return
    with _loading:
        for name in CHART_MODULES[len(CHART_TYPES) :]:
            register(importlib.import_module(f"alpaca_dash.content.charts.{name}").CHART)
