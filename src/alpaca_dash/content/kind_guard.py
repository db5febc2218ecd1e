"""A panel's reads, checked against the kinds its chart draws: an observable's kind may change between runs, and a
run whose value the chart cannot draw is said so in words instead of failing inside the chart."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from alpaca_dash.content.data import NoData, PanelData
from alpaca_dash.content.registry import ChartType
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.domain import Observable, ObservableKind, Statistic, Trend
from alpaca_dash.run_range import RunRange
from alpaca_dash.types import Array

#: what a chart draws, by kind, for the message
_DRAWS = {ObservableKind.SCALAR: "scalars", ObservableKind.ARRAY1D: "1D values", ObservableKind.ARRAY2D: "2D arrays"}


def kind_of(value: Array) -> ObservableKind:
    """The kind a value is stored as, by its rank."""
    return (ObservableKind.SCALAR, ObservableKind.ARRAY1D)[value.ndim] if value.ndim < 2 else ObservableKind.ARRAY2D


def describe(value: Array) -> str:
    """``a scalar``, ``a 1D array of 20 values``, ``a 4\N{MULTIPLICATION SIGN}5 array``."""
    if value.ndim == 0:
        return "a scalar"
    if value.ndim == 1:
        return f"a 1D array of {value.size} values"
    return "a " + "\N{MULTIPLICATION SIGN}".join(map(str, value.shape)) + " array"


def mismatch(chart: ChartType, run: int, value: Array, kinds: Sequence[ObservableKind]) -> str | None:
    """Why ``chart`` cannot draw ``value`` of ``run`` (None when it can)."""
    if kind_of(value) in kinds:
        return None
    drawn = " or ".join(_DRAWS[kind] for kind in kinds)
    return f"run {run} holds {describe(value)}; this {chart.label.split(' / ')[0].lower()} panel draws {drawn}"


@dataclass(frozen=True)
class KindGuard:
    """``data`` as the chart of ``spec`` reads it: a value of a kind the chart does not draw is no data, with the
    reason (the reference's is left out). Every value is checked, by its rank: the observable as the panel looked it
    up may be older than the run, which may have brought it in a new kind."""

    data: PanelData
    spec: PanelSpec
    chart: ChartType

    def _kinds(self, observable: Observable) -> Sequence[ObservableKind]:
        if observable.name == self.spec.x and self.chart.x is not None:
            return (self.chart.x.kind,)
        return self.chart.kinds

    def observables(self, names: Sequence[str]) -> Mapping[str, Observable]:
        return self.data.observables(names)

    def value(self, observable: Observable, run: int) -> Array:
        value = self.data.value(observable, run)
        reason = mismatch(self.chart, run, value, self._kinds(observable))
        if reason is not None:
            raise NoData(reason)
        return value

    def other_run_value(self, observable: Observable, run: int) -> Array | None:
        value = self.data.other_run_value(observable, run)
        if value is None or mismatch(self.chart, run, value, self._kinds(observable)) is None:
            return value
        return None

    def scalars(self, observables: Sequence[Observable], run: int) -> Mapping[int, Array]:
        return self.data.scalars(observables, run)

    def trend(self, observable: Observable, runs: RunRange, statistic: Statistic | None, *, width: int = 0) -> Trend:
        return self.data.trend(observable, runs, statistic, width=width)

    def run_numbers(
        self,
        *,
        before: int | None = None,
        within: RunRange | None = None,
        tag: str | None = None,
        good: bool | None = None,
        limit: int,
    ) -> list[int]:
        return self.data.run_numbers(before=before, within=within, tag=tag, good=good, limit=limit)

    def run_notes(self, within: RunRange, *, limit: int) -> Mapping[int, str]:
        return self.data.run_notes(within, limit=limit)

    def run_times(self, runs: Array) -> Array:
        return self.data.run_times(runs)

    def publish_image(self, png: bytes) -> str:
        return self.data.publish_image(png)
