"""Turning a panel's spec and a run into what the panel shows. Runs in a worker thread; never raises."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from alpaca_dash.content.charts.common import axis_name
from alpaca_dash.content.charts.histogram import build_histogram_option, compute_histogram
from alpaca_dash.content.charts.line import build_line_option, build_scatter_option
from alpaca_dash.content.charts.stat import build_stat_option
from alpaca_dash.content.charts.table import build_table_rows
from alpaca_dash.content.downsample import downsample_line, points_for_width, thin_points
from alpaca_dash.content.image_compare import PublishImage, compared_image_option, image_option
from alpaca_dash.content.registry import kind_for_chart
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.content.value_cache import ValueCache
from alpaca_dash.domain import Observable
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observables import UnknownObservable, find_observables
from alpaca_dash.queries.runs import get_run
from alpaca_dash.queries.values import load_scalars, load_value

log = logging.getLogger(__name__)

State = Literal["ready", "nodata", "error"]


@dataclass(frozen=True)
class PanelContent:
    """What a panel shows for one run: an ECharts option, table rows, or why there is nothing."""

    state: State
    option: dict[str, Any] | None = None
    rows: list[dict[str, str]] = field(default_factory=list)
    message: str = ""


class _NoData(Exception):
    pass


@dataclass(frozen=True)
class Loader:
    """Reads values, through the shared cache when there is one (``version`` tells re-ingested runs apart)."""

    access: DataAccess
    cache: ValueCache | None = None
    version: object = None

    def value(self, observable: Observable, run: int) -> np.ndarray[Any, Any]:
        """:raises _NoData: when the run has no value for the observable."""
        if self.cache is None:
            value = load_value(self.access, observable, run)
        else:
            key = (observable.id, run, self.version)
            value = self.cache.get_or_load(key, lambda: load_value(self.access, observable, run))
        if value is None or value.size == 0:
            raise _NoData("No data for this run")
        return value

    def other_run_value(self, observable: Observable, run: int) -> np.ndarray[Any, Any] | None:
        """A value of another run than the shown one (the reference), cached under that run's own ingest time;
        None when the run or its value is missing."""
        found = get_run(self.access, run)
        if found is None:
            return None
        try:
            return Loader(self.access, self.cache, found.ingested_at).value(observable, run)
        except _NoData:
            return None


def load_panel_content(
    access: DataAccess,
    spec: PanelSpec,
    run: int,
    size: tuple[int, int],
    publish_image: PublishImage,
    *,
    cache: ValueCache | None = None,
    version: object = None,
    reference: int | None = None,
) -> PanelContent:
    """Load and shape one panel's data for ``run`` at ``size`` (the panel body's pixels).

    A missing value gives ``nodata``; any failure (unknown observable, corrupt sidecar file, database error)
    gives ``error`` with a message, so one bad panel never breaks the page.

    :param cache: values shared between panels and pages, keyed with ``version`` (the run's ingest time).
    :param reference: the dashboard's reference run, shown by image panels beside or subtracted from the run's
        image (line and histogram panels get it drawn over them afterwards, by ``reference.load_reference``).
    """
    loader = Loader(access, cache, version)
    try:
        names = [*spec.observables, *([spec.x] if spec.x else [])]
        observables = {item.name: item for item in find_observables(access, names)}
        _check_kinds(spec, observables)
        if spec.type == "table":
            return _table(access, spec, observables, run)
        value = loader.value(observables[spec.observables[0]], run)
        return PanelContent("ready", _build(loader, spec, observables, value, run, size, publish_image, reference))
    except _NoData as exc:
        return PanelContent("nodata", message=str(exc) or "No data for this run")
    except UnknownObservable as exc:
        return PanelContent("error", message=str(exc))
    except Exception as exc:
        log.warning("panel %s (%s) failed for run %d: %s", spec.id, spec.type, run, exc)
        return PanelContent("error", message=f"{type(exc).__name__}: {exc}")


def _check_kinds(spec: PanelSpec, observables: dict[str, Observable]) -> None:
    wanted = kind_for_chart(spec.type)
    for item in observables.values():
        if item.kind is not wanted:
            raise ValueError(f"a {spec.type} panel cannot show {item.name} ({item.kind.value})")


def _build(
    loader: Loader,
    spec: PanelSpec,
    observables: dict[str, Observable],
    value: np.ndarray[Any, Any],
    run: int,
    size: tuple[int, int],
    publish_image: PublishImage,
    reference: int | None,
) -> dict[str, Any]:
    y_obs = observables[spec.observables[0]]
    unit = spec.options.unit or y_obs.unit or ""
    width = size[0]
    if spec.type == "stat":
        scalar = value.item()
        if isinstance(scalar, float) and math.isnan(scalar):
            raise _NoData("No data for this run (NaN)")
        options = spec.options
        return build_stat_option(scalar, unit=unit, thresholds=options.thresholds, decimals=options.decimals)
    if spec.type == "histogram":
        edges, counts = compute_histogram(value, bins=spec.options.bins, bin_width=spec.options.bin_width)
        return build_histogram_option(edges, counts, x_name=axis_name(y_obs.name, unit), log_y=spec.options.log_y)
    if spec.type == "image" and reference not in (None, run):
        return compared_image_option(
            spec,
            value,
            unit,
            size,
            publish_image,
            run=run,
            reference=reference,
            load_reference=lambda: loader.other_run_value(y_obs, reference),
        )
    if spec.type == "image":
        return image_option(spec, [(value, "")], unit, size, publish_image)
    x_values = loader.value(observables[spec.x], run) if spec.x else None
    x_name = axis_name(spec.x, observables[spec.x].unit) if spec.x else "index"
    y_name = axis_name(y_obs.name, unit)
    if spec.type == "scatter":
        x_all = np.arange(value.size) if x_values is None else x_values
        n = min(x_all.size, value.size)
        xs, ys = thin_points(x_all[:n], value[:n], 4 * points_for_width(width))
        return build_scatter_option(xs, ys, x_name=x_name, y_name=y_name)
    xs, ys = downsample_line(value, points_for_width(width), x_values)
    return build_line_option(xs, ys, x_name=x_name, y_name=y_name)


def _table(access: DataAccess, spec: PanelSpec, observables: dict[str, Observable], run: int) -> PanelContent:
    items = [observables[name] for name in spec.observables]
    found = load_scalars(access, items, run)
    values: dict[str, float | int | bool | None] = {}
    for item in items:
        raw = found.get(item.id)
        scalar = None if raw is None else raw.item()
        values[item.name] = None if isinstance(scalar, float) and math.isnan(scalar) else scalar
    if all(v is None for v in values.values()):
        return PanelContent("nodata", message="No data for this run")
    units = {item.name: item.unit or "" for item in items}
    rows = build_table_rows(spec.observables, values, units, decimals=spec.options.decimals)
    return PanelContent("ready", rows=rows)
