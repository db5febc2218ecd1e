"""Panel content from storage: ``content``'s ``PanelData`` over the database and the sidecar, with the shared value
cache, and ``load_panel``, the one call the web layer makes to fill a panel."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

from alpaca_dash.content import downloads, load
from alpaca_dash.content.data import Download, NoData, PanelContent, PublishImage, Size, Target
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.content.value_cache import ValueCache
from alpaca_dash.domain import Observable, RunStatus, Statistic, Trend
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observables import find_observables, get_observables
from alpaca_dash.queries.runs import RunFilter, get_run, list_run_notes, list_runs
from alpaca_dash.queries.trend_detail import load_trend_for_width
from alpaca_dash.queries.trends import load_run_times, load_trend
from alpaca_dash.queries.values import load_scalars, load_value
from alpaca_dash.run_range import RunRange
from alpaca_dash.types import Array


@dataclass(frozen=True)
class StoredPanelData:
    """Reads through ``cache`` when there is one; ``version`` (the shown run's ingest time) keys the shown run's
    values, so a re-ingested run is read afresh."""

    access: DataAccess
    publish: PublishImage
    cache: ValueCache | None = None
    version: Hashable = None
    #: the other runs' ingest times, as looked up (None: no such run)
    versions: dict[int, tuple[Hashable] | None] = field(default_factory=dict)

    def observables(self, names: Sequence[str]) -> Mapping[str, Observable]:
        return {item.name: item for item in find_observables(self.access, names)}

    def value(self, observable: Observable, run: int) -> Array:
        return self._value(observable, run, self.version)

    def other_run_value(self, observable: Observable, run: int) -> Array | None:
        if run not in self.versions:  # one look-up per run and panel, not per observable
            found = get_run(self.access, run)
            self.versions[run] = None if found is None else (found.ingested_at,)
        version = self.versions[run]
        if version is None:
            return None
        try:
            return self._value(observable, run, version[0])
        except NoData:
            return None

    def _value(self, observable: Observable, run: int, version: Hashable) -> Array:
        if self.cache is None:
            value = self._load(observable, run)
        else:
            key = (observable.id, run, version)
            value = self.cache.get_or_load(key, lambda: self._load(observable, run))
        if value is None or value.size == 0:
            raise NoData("No data for this run")
        return value

    def _load(self, observable: Observable, run: int) -> Array | None:
        """The stored value; when there is none, asked again of the registry as it is now, not as looked up up to
        half a minute ago: a run just ingested may have brought the observable in a new kind."""
        value = load_value(self.access, observable, run)
        if value is not None:
            return value
        (fresh,) = get_observables(self.access, [observable.name])
        if fresh.kinds == observable.kinds:
            return None
        self.access.observable_cache.put([fresh])
        return load_value(self.access, fresh, run)

    def scalars(self, observables: Sequence[Observable], run: int) -> Mapping[int, Array]:
        return load_scalars(self.access, list(observables), run)

    def trend(self, observable: Observable, runs: RunRange, statistic: Statistic | None, *, width: int = 0) -> Trend:
        if width > 0:
            return load_trend_for_width(self.access, observable, runs.first, runs.last, width, statistic=statistic)
        return load_trend(self.access, observable, runs.first, runs.last, statistic=statistic)

    def run_numbers(
        self,
        *,
        before: int | None = None,
        within: RunRange | None = None,
        tag: str | None = None,
        good: bool | None = None,
        limit: int,
    ) -> list[int]:
        where = RunFilter(
            first=None if within is None else within.first,
            last=None if within is None else within.last,
            good=good,
            tag=tag,
            status=RunStatus.INGESTED,
        )
        return [run.run for run in list_runs(self.access, limit=limit, before=before, where=where)]

    def run_notes(self, within: RunRange, *, limit: int) -> Mapping[int, str]:
        return list_run_notes(self.access, within.first, within.last, limit=limit)

    def run_times(self, runs: Array) -> Array:
        return load_run_times(self.access, runs)

    def publish_image(self, png: bytes) -> str:
        return self.publish(png)


def load_download(
    access: DataAccess,
    spec: PanelSpec,
    target: Target,
    fmt: str,
    *,
    cache: ValueCache | None = None,
    version: Hashable = None,
) -> Download:
    """The stored data of one panel for ``target`` as a file (``content.downloads.load_download``).

    :raises NoData: when the run has no value; :raises ValueError: for a format the panel does not offer.
    """
    return downloads.load_download(StoredPanelData(access, _no_images, cache, version), spec, target, fmt)


def _no_images(png: bytes) -> str:
    raise ValueError("a download draws no image")


def load_panel(
    access: DataAccess,
    spec: PanelSpec,
    target: Target,
    size: Size,
    publish: PublishImage,
    *,
    cache: ValueCache | None = None,
    version: Hashable = None,
) -> PanelContent:
    """The content of one panel for ``target`` at ``size``; never raises (``content.load.load_panel``).

    :param cache: values shared between panels and pages, the shown run's keyed with ``version`` (its ingest time).
    """
    return load.load_panel(StoredPanelData(access, publish, cache, version), spec, target, size)
