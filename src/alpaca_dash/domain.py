"""The vocabulary shared by every layer: runs, observables, their kinds and values, and the jobs that ingest them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

import numpy as np

from alpaca_dash.types import Array

NAME_SEPARATOR = "*"
#: run numbers, observable ids and such are PostgreSQL ``integer`` columns: this is one past the largest
INT32_LIMIT = 2**31
#: elements per float64 scratch buffer of :func:`compute_stats` (512 kB: stays in cache)
STATS_CHUNK = 1 << 16

#: dtypes that survive the round trip exactly; anything else is an ingest error.
SUPPORTED_DTYPES: tuple[str, ...] = (
    "float64",
    "float32",
    "float16",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "bool",
)
DTYPE_CODES: dict[str, int] = {name: code for code, name in enumerate(SUPPORTED_DTYPES)}


class ObservableKind(StrEnum):
    SCALAR = "scalar"
    ARRAY1D = "array1d"
    ARRAY2D = "array2d"


class RunStatus(StrEnum):
    """A stored run's state: its values are all there, or its last ingest failed before any were stored."""

    INGESTED = "ingested"
    FAILED = "failed"


class Role(StrEnum):
    """What a user may do: look, also change dashboards and start jobs, also manage users."""

    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """Viewer 0, editor 1, admin 2: each role may do what the lower ones may."""
        return list(Role).index(self)


class JobStatus(StrEnum):
    """Queued until a scheduler claims it, running, then done, failed or cancelled."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class JobKind(StrEnum):
    """``range`` jobs (ingest) and ``quality`` jobs (judge stored runs again) run in the scheduler; ``cli`` jobs run
    in the command that recorded them."""

    RANGE = "range"
    QUALITY = "quality"
    CLI = "cli"


#: the ``source`` of a job that judges runs rather than ingesting them
QUALITY_SOURCE = "quality"


@dataclass(frozen=True)
class Job:
    """A row of ``ingest_jobs``: a range of runs to ingest or judge, and how far it got."""

    id: int
    kind: JobKind
    source: str
    first_run: int
    last_run: int
    status: JobStatus
    total: int
    done: int
    failed: int
    cancel_requested: bool
    message: str
    options: dict[str, Any]
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> Job:
        """A job from a row of ``ingest_jobs`` by column name."""
        fields = {column: row[column] for column in cls.__dataclass_fields__}
        return cls(**{**fields, "kind": JobKind(row["kind"]), "status": JobStatus(row["status"])})


class UnknownObservable(LookupError):
    """No observable has that exact name."""


class UnsupportedValue(ValueError):
    """A value that cannot be stored exactly: wrong rank, a string, an object, an unknown dtype."""


@dataclass(frozen=True)
class RunRecord:
    """One finished run as a source delivers it.

    :param values: observable name (parts joined with ``*``) to a numpy scalar or array, or anything else a
        source found, which ingest validates.
    :param errors: observable name to a message, for datasets the source could not read at all.
    :param units: observable name to its unit, where the source knows it.
    """

    run: int
    start: datetime | None
    end: datetime | None
    values: Mapping[str, Any]
    errors: Mapping[str, str] = field(default_factory=dict)
    units: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Observable:
    id: int
    name: str
    path: tuple[str, ...]
    kind: ObservableKind
    dtype: str
    shape: tuple[int, ...]
    unit: str | None
    first_run: int
    last_run: int
    #: every dtype its values have had (the registry's; empty when not known) and whether a scalar kept exact bytes
    dtypes: tuple[str, ...] = ()
    exact: bool = False
    #: every kind its values have had: ``kind`` is the newest run's; a run's value is stored in its own kind
    kinds: tuple[ObservableKind, ...] = ()

    def kind_changes(self) -> bool:
        """Whether some runs hold this observable in another kind than the newest run."""
        return len(self.kinds) > 1

    def kinds_text(self) -> str:
        """``array2d``, or ``array2d (also array1d in some runs)`` when its kind changed between runs."""
        others = [kind.value for kind in self.kinds if kind is not self.kind]
        return self.kind.value + (f" (also {', '.join(others)} in some runs)" if others else "")


@dataclass(frozen=True)
class Run:
    run: int
    start: datetime | None
    end: datetime | None
    status: RunStatus
    ingested_at: datetime | None
    source: str
    comment: str
    tags: tuple[str, ...]
    good: bool
    observable_count: int
    error_count: int
    #: a quality check of the run is in alarm and no editor has set its flag since
    suspect: bool = False


@dataclass(frozen=True)
class ArrayStats:
    """Summary of an array over its finite and infinite values; NaNs are only counted."""

    min: float
    max: float
    mean: float
    std: float
    sum: float
    count: int
    nan_count: int


def classify_value(value: Any) -> tuple[ObservableKind, np.ndarray[Any, Any]]:
    """Turn a source value into its kind and a numpy array of an exactly storable dtype.

    Python ``bool``/``int``/``float`` become bool/int64/float64 scalars; numpy values keep their dtype.

    :raises UnsupportedValue: for strings, objects, unknown dtypes and arrays of three or more dimensions.
    """
    if isinstance(value, (str, bytes)):
        raise UnsupportedValue(f"expected a number or an array, got {type(value).__name__} {value[:40]!r}")
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as exc:  # ragged sequences and the like
        raise UnsupportedValue(f"cannot be read as an array: {exc}") from exc
    dtype_name = array.dtype.name
    if dtype_name not in DTYPE_CODES:
        raise UnsupportedValue(f"unsupported dtype {dtype_name} (shape {array.shape})")
    if array.ndim == 0:
        return ObservableKind.SCALAR, array
    if array.ndim == 1:
        return ObservableKind.ARRAY1D, array
    if array.ndim == 2:
        return ObservableKind.ARRAY2D, array
    raise UnsupportedValue(f"{array.ndim}D arrays are not supported (shape {array.shape})")


def compute_stats(array: np.ndarray[Any, Any]) -> ArrayStats:
    """Per-run statistics of an array, in float64, ignoring NaNs.

    The spread is summed over cache-sized chunks, so a 5120² camera image costs no image-sized float64 temporaries.
    """
    values = array.reshape(-1)
    if values.dtype == np.bool_:
        values = values.view(np.uint8)
    nan_count = 0
    if values.dtype.kind == "f":
        nan_mask = np.isnan(values)
        nan_count = int(np.count_nonzero(nan_mask))
        if nan_count:
            values = values[~nan_mask]
    count = int(values.size)
    if count == 0:
        nan = float("nan")
        return ArrayStats(nan, nan, nan, nan, 0.0, 0, nan_count)
    # sums of huge floats overflow to inf and inf - inf is NaN: that is the honest answer, not an error
    with np.errstate(invalid="ignore", over="ignore"):
        total = float(values.sum(dtype=np.float64))
        mean = total / count
        std = _deviation(values, mean) if math.isfinite(mean) else float("nan")
    return ArrayStats(
        min=float(values.min()),
        max=float(values.max()),
        mean=mean,
        std=std,
        sum=total,
        count=count,
        nan_count=nan_count,
    )


def _deviation(values: np.ndarray[Any, Any], mean: float) -> float:
    """The population standard deviation of 1D ``values`` around their ``mean``."""
    scratch = np.empty(min(values.size, STATS_CHUNK), dtype=np.float64)
    squares = 0.0
    for start in range(0, values.size, STATS_CHUNK):
        chunk = values[start : start + STATS_CHUNK]
        deviations = scratch[: chunk.size]
        np.subtract(chunk, mean, out=deviations, dtype=np.float64)
        np.multiply(deviations, deviations, out=deviations)
        squares += float(np.add.reduce(deviations))
    return math.sqrt(squares / values.size)


#: statistics of an array kept per run (``array_stats``), which a trend can follow
Statistic = Literal["min", "max", "mean", "std", "sum", "count", "nan_count"]
STATISTICS: tuple[Statistic, ...] = ("sum", "mean", "max", "min", "std", "count", "nan_count")


@dataclass(frozen=True)
class Trend:
    """One value per run, ascending by run; ``good`` is False for runs users marked bad."""

    observable: Observable
    statistic: Statistic | None
    runs: Array
    values: Array
    good: Array
    #: runs one point stands for: 1 for a value per run, more for rollup buckets (``trend_detail``)
    bucket_runs: int = 1

    def __len__(self) -> int:
        return int(self.runs.size)


@dataclass(frozen=True)
class Correlation:
    """Two trends on their common runs: ``x`` against ``y``, labelled by run."""

    x: Trend
    y: Trend
    runs: Array
    x_values: Array
    y_values: Array
    good: Array


def correlate(x: Trend, y: Trend) -> Correlation:
    """Pair the values of two trends run by run; runs missing from either side are left out."""
    common, ix, iy = np.intersect1d(x.runs, y.runs, assume_unique=True, return_indices=True)
    return Correlation(x, y, common, x.values[ix], y.values[iy], x.good[ix] & y.good[iy])
