"""Panel data from arrays in memory: ``content``'s ``PanelData`` without a database, for tests of chart types."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from alpaca_dash.content.data import NoData
from alpaca_dash.domain import NAME_SEPARATOR, Observable, ObservableKind, Statistic, Trend, UnknownObservable
from alpaca_dash.run_range import RunRange
from alpaca_dash.types import Array


@dataclass
class MemoryPanelData:
    """``values[(name, run)]``; every name is registered with the kind its first value has."""

    values: dict[tuple[str, int], Array]
    images: list[bytes] = field(default_factory=list)

    def observables(self, names: Sequence[str]) -> Mapping[str, Observable]:
        found: dict[str, Observable] = {}
        for name in names:
            value = next((v for (n, _), v in self.values.items() if n == name), None)
            if value is None:
                raise UnknownObservable(f"unknown observable: {name!r}")
            kind = [ObservableKind.SCALAR, ObservableKind.ARRAY1D, ObservableKind.ARRAY2D][value.ndim]
            path = tuple(name.split(NAME_SEPARATOR))
            found[name] = Observable(len(found), name, path, kind, value.dtype.name, value.shape, None, 0, 0)
        return found

    def value(self, observable: Observable, run: int) -> Array:
        found = self.values.get((observable.name, run))
        if found is None:
            raise NoData("No data for this run")
        return found

    def other_run_value(self, observable: Observable, run: int) -> Array | None:
        return self.values.get((observable.name, run))

    def scalars(self, observables: Sequence[Observable], run: int) -> Mapping[int, Array]:
        return {o.id: self.values[(o.name, run)] for o in observables if (o.name, run) in self.values}

    def trend(self, observable: Observable, runs: RunRange, statistic: Statistic | None, *, width: int = 0) -> Trend:
        found = sorted(
            (r, v) for (n, r), v in self.values.items() if n == observable.name and runs.first <= r <= runs.last
        )
        run_numbers = np.array([r for r, _ in found], dtype=np.int32)
        values = np.array([float(v) for _, v in found])
        return Trend(observable, statistic, run_numbers, values, np.ones(run_numbers.size, dtype=bool))

    def run_numbers(
        self,
        *,
        before: int | None = None,
        within: RunRange | None = None,
        tag: str | None = None,
        good: bool | None = None,
        limit: int,
    ) -> list[int]:
        """Every run with a value, newest first (no run carries tags or flags here)."""
        runs = sorted({r for (_, r) in self.values}, reverse=True)
        runs = [
            r for r in runs if (before is None or r < before) and (within is None or within.first <= r <= within.last)
        ]
        return [] if tag else runs[:limit]

    def run_notes(self, within: RunRange, *, limit: int) -> Mapping[int, str]:
        return {}  # no run carries a comment or tags here

    def run_times(self, runs: Array) -> Array:
        return np.full(runs.size, np.datetime64("NaT", "us"))

    def publish_image(self, png: bytes) -> str:
        self.images.append(png)
        return f"/image/{len(self.images) - 1}.png"
