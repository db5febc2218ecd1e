"""The one way from a panel spec to what its chart draws: ``load_panel``. Runs in a worker thread; never raises."""

from __future__ import annotations

import logging

from alpaca_dash.content.data import NoData, PanelContent, PanelData, Size, Target
from alpaca_dash.content.kind_guard import KindGuard
from alpaca_dash.content.registry import ChartType, chart_type
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.domain import UnknownObservable
from alpaca_dash.run_range import RunRangeError

log = logging.getLogger(__name__)


def load_panel(data: PanelData, spec: PanelSpec, target: Target, size: Size) -> PanelContent:
    """The content of ``spec`` for ``target`` at ``size`` (the panel body's pixels).

    A missing value gives ``nodata``; any failure (unknown observable, a kind the chart cannot draw, a corrupt
    sidecar file, a database error) gives ``error`` with a message, so one bad panel never breaks the page.
    """
    try:
        chart = chart_type(spec.type)
        check_kinds(data, spec, chart)
        return chart.load(KindGuard(data, spec, chart), spec, target, size)
    except NoData as exc:
        return PanelContent("nodata", message=str(exc) or "No data for this run")
    except (UnknownObservable, RunRangeError, ValueError) as exc:
        return PanelContent("error", message=str(exc))
    except Exception as exc:
        log.warning("panel %s (%s) failed for run %d: %s", spec.id, spec.type, target.run, exc)
        return PanelContent("error", message=f"{type(exc).__name__}: {exc}")


def check_kinds(data: PanelData, spec: PanelSpec, chart: ChartType) -> None:
    """:raises ValueError: when an observable of the panel is of a kind its chart type cannot draw in any run (one
    whose kind changed between runs is checked run by run, by ``KindGuard``)."""
    found = data.observables([*spec.observables, *([spec.x] if spec.x else [])])
    for name in spec.observables:
        if not any(kind in chart.kinds for kind in found[name].kinds or (found[name].kind,)):
            raise ValueError(f"a {spec.type} panel cannot show {name} ({found[name].kind.value})")
    if spec.x and chart.x is not None and found[spec.x].kind is not chart.x.kind:
        raise ValueError(f"a {spec.type} panel cannot draw {spec.x} ({found[spec.x].kind.value}) on x")
