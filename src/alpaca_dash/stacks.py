"""A stack of one array observable over runs: numpy arrays by run, and the same as an xarray ``DataArray``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from alpaca_dash.domain import Observable, ObservableKind
from alpaca_dash.frames import EXTRA_HINT, FrameLibraryMissing
from alpaca_dash.types import Array


class MixedShapes(ValueError):
    """The arrays of a stack do not all have one shape, so they do not stack."""


@dataclass(frozen=True)
class ArrayStack:
    """The runs that have the observable, ascending, their start times (NaT where unknown) and their arrays, each
    with its stored dtype and shape.

    Unpacks as ``runs, arrays = dash.arrays(...)``.
    """

    observable: Observable
    runs: Array
    start_times: Array
    arrays: list[Array]

    def __len__(self) -> int:
        return len(self.arrays)

    def __iter__(self) -> Iterator[Any]:
        return iter((self.runs, self.arrays))

    def stack(self) -> Array:
        """One numpy array of shape ``(runs, *shape)``.

        :raises MixedShapes: when the arrays differ in shape (the message says which runs have which).
        """
        shapes: dict[tuple[int, ...], list[int]] = {}
        for run, array in zip(self.runs.tolist(), self.arrays, strict=True):
            shapes.setdefault(array.shape, []).append(run)
        if len(shapes) > 1:
            described = "; ".join(f"{'x'.join(map(str, s))} in {_runs_text(r)}" for s, r in shapes.items())
            raise MixedShapes(f"{self.observable.name} has arrays of several shapes ({described}): choose runs of one")
        if not self.arrays:
            return np.empty((0, *self.observable.shape), dtype=self.observable.dtype)
        return np.stack(self.arrays)

    def dims(self) -> tuple[str, ...]:
        """The dimensions of :meth:`stack`: by the arrays' own rank (an observable's kind may change between runs)."""
        rank = self.arrays[0].ndim if self.arrays else (1 if self.observable.kind is ObservableKind.ARRAY1D else 2)
        return ("run", "sample") if rank == 1 else ("run", "y", "x")

    def to_xarray(self) -> Any:
        """An ``xarray.DataArray`` with a ``run`` dimension (and ``sample``, or ``y`` and ``x``), the start times as a
        coordinate along ``run``, and the unit, dtype and kind as attributes.

        :raises MixedShapes: as :meth:`stack`.
        :raises FrameLibraryMissing: when xarray is not installed.
        """
        try:
            import xarray as xr
        except ImportError:
            raise FrameLibraryMissing(f"xarray is not installed: {EXTRA_HINT}") from None
        data = self.stack()
        kind = ObservableKind.ARRAY1D if data.ndim == 2 else ObservableKind.ARRAY2D
        attrs = {"unit": self.observable.unit or "", "kind": kind.value}
        attrs["dtype"] = str(data.dtype)
        return xr.DataArray(
            data,
            dims=self.dims(),
            coords={"run": self.runs.astype(np.int64), "start_time": ("run", self.start_times)},
            name=self.observable.name,
            attrs=attrs,
        )


def _runs_text(runs: list[int]) -> str:
    if len(runs) == 1:
        return f"run {runs[0]}"
    return f"{len(runs)} runs from {runs[0]} to {runs[-1]}"
