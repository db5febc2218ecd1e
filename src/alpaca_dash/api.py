"""The Python API for notebooks: runs, trends and errors as data frames, arrays as numpy stacks or xarray.

>>> from alpaca_dash.api import connect
>>> dash = connect()                                   # the same settings as the CLI (ALPACA_DASH_*)
>>> dash.runs("390100-390180", tag="calibration")      # a pandas DataFrame indexed by run
>>> dash.trend(["ELENA_Parameters*H_offset_mm", "SC56_coinc*event_count"], range(390100, 390181))
>>> stack = dash.arrays("5TCCD*acq_2*background_corrected*img_with_roi", (390120, 390125))
>>> stack.to_xarray().mean("run")                      # an xarray DataArray with a run dimension
>>> dash.errors(390123)
>>> dash.quality("390100-390180")                     # one row per run and quality check: state, value, p-value

Run ranges are a run number, ``"A-B"``, ``(A, B)`` (both inclusive) or ``range(A, B + 1)``. Frames are pandas by
default; ``connect(frame="polars")`` (or ``frame=`` on a call) gives polars, ``"arrow"`` a pyarrow table. pandas,
polars and xarray come with ``pip install 'alpaca-dash[notebook]'`` (docs/notebook.md).

A file written by ``alpaca-dash export`` reads the same way: ``read_arrays(pq.read_table(path), name)``.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from alpaca_dash.config import Settings
from alpaca_dash.domain import Observable, ObservableKind, RunStatus, Statistic
from alpaca_dash.export import export_parquet, read_arrays
from alpaca_dash.frames import FrameKind, arrow_column, check_frame_kind, to_frame
from alpaca_dash.queries import observables as observable_queries
from alpaca_dash.queries import runs as run_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.columns import load_array_series, load_bad_runs, load_scalar_columns, run_index
from alpaca_dash.queries.errors import list_errors
from alpaca_dash.queries.observable_tree import search_observables
from alpaca_dash.queries.quality import list_results
from alpaca_dash.queries.trends import load_run_times, load_trend
from alpaca_dash.queries.values import load_value
from alpaca_dash.run_range import RunRange, RunsLike, to_run_range
from alpaca_dash.stacks import ArrayStack
from alpaca_dash.types import Array

__all__ = ["AlpacaDash", "ArrayStack", "MoreObservables", "ObservableList", "connect", "read_arrays"]

TimeLike = datetime | str
MAX_ERRORS = 10_000
#: observables returned by one ``AlpacaDash.observables`` call unless told otherwise
OBSERVABLE_LIMIT = 1_000


class ObservableList(list[Observable]):
    """A page of observables by name; ``more`` is how many more matched after its last."""

    def __init__(self, items: Sequence[Observable], more: int) -> None:
        super().__init__(items)
        self.more = more


class MoreObservables(UserWarning):
    """``AlpacaDash.observables`` returned its limit and more observables match."""


class AlpacaDash:
    """Read access to a stored Alpaca Dashboard database; close it (or use ``with``) when done.

    :param frame: what the frame-returning methods return unless told otherwise: ``pandas``, ``polars`` or ``arrow``.
    """

    def __init__(self, access: DataAccess, *, frame: FrameKind = "pandas") -> None:
        self._access = access
        self.frame = check_frame_kind(frame)

    def __enter__(self) -> AlpacaDash:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._access.close()

    def observables(
        self, search: str = "", *, limit: int = OBSERVABLE_LIMIT, after: str | None = None
    ) -> ObservableList:
        """The observables whose name contains every word of ``search`` (ignoring case), the first ``limit`` by name.

        The search runs in the database, so a registry of any size costs what is returned. When more match, the
        list's ``more`` says how many and a warning says so; the next page is ``after=found[-1].name``.

        :raises ValueError: for a limit below 1.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        found = search_observables(self._access, search, limit=limit, after=after)
        if found.more:
            warnings.warn(
                f"{found.more:,} more observables match {search!r}: narrow the search, raise limit= "
                "or page on with after=",
                MoreObservables,
                stacklevel=2,
            )
        return ObservableList(found.items, found.more)

    def runs(
        self,
        runs: RunsLike | None = None,
        *,
        since: TimeLike | None = None,
        until: TimeLike | None = None,
        tag: str | None = None,
        good: bool | None = None,
        status: RunStatus | str | None = None,
        limit: int | None = None,
        frame: FrameKind | None = None,
    ) -> Any:
        """The runs as a frame indexed by run, ascending: start and end time (UTC), status, good flag, tags, comment,
        source, ingest time and counts of observables and errors.

        :param since: only runs that started at or after this time (a datetime or ISO text; naive means UTC).
        :param until: only runs that started before this time.
        :param tag: only runs with this tag; ``good``: only good (True) or bad (False) runs.
        :param limit: at most this many of the newest matching runs (default: the settings' ``max_range``).
        :raises RunRangeError: for a malformed range.
        """
        wanted = None if runs is None else self._range(runs)
        limit = self._access.settings.max_range if limit is None else limit
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        where = run_queries.RunFilter(
            first=None if wanted is None else wanted.first,
            last=None if wanted is None else wanted.last,
            good=good,
            status=None if status is None else RunStatus(status),
            tag=tag,
            since=_utc(since),
            until=_utc(until),
        )
        found = run_queries.list_runs(self._access, limit=limit, where=where)[::-1]
        stamp = pa.timestamp("us", tz="UTC")
        columns = {
            "run": pa.array([r.run for r in found], pa.int32()),
            "start_time": pa.array([r.start for r in found], stamp),
            "end_time": pa.array([r.end for r in found], stamp),
            "status": pa.array([r.status for r in found], pa.string()),
            "good": pa.array([r.good for r in found], pa.bool_()),
            "tags": pa.array([list(r.tags) for r in found], pa.list_(pa.string())),
            "comment": pa.array([r.comment for r in found], pa.string()),
            "source": pa.array([r.source for r in found], pa.string()),
            "ingested_at": pa.array([r.ingested_at for r in found], stamp),
            "observable_count": pa.array([r.observable_count for r in found], pa.int32()),
            "error_count": pa.array([r.error_count for r in found], pa.int32()),
        }
        return to_frame(pa.table(columns), self._kind(frame), index="run")

    def value(self, name: str, run: int) -> Array | None:
        """One observable in one run, with its original dtype and shape; None if the run lacks it."""
        (item,) = observable_queries.get_observables(self._access, [name])
        return load_value(self._access, item, run)

    def trend(
        self,
        names: str | Sequence[str],
        runs: RunsLike,
        *,
        statistic: Statistic | None = None,
        frame: FrameKind | None = None,
    ) -> Any:
        """Observables over a run range as a frame indexed by run: ``start_time`` (UTC), ``good``, then one column per
        observable, named by it. A scalar keeps its own dtype (uint64 above 2**53 exact, bool as bool); an array
        observable gives its per-run ``statistic`` (``mean``, ``sum``, ``max``, ...) as float64. A run that lacks a
        value is NaN (pandas: or the nullable dtype's NA for integers and bools; polars: null).

        :raises UnknownObservable: naming the unknown names.
        :raises TrendError: for an array observable without a statistic.
        :raises RunRangeError: for a malformed range.
        """
        wanted = self._range(runs)
        listed = [names] if isinstance(names, str) else list(dict.fromkeys(names))
        items = observable_queries.get_observables(self._access, listed)
        scalars = [item for item in items if item.kind is ObservableKind.SCALAR]
        by_id: dict[int, tuple[Array, Array]] = {
            item_id: (column.runs, column.values)
            for item_id, column in load_scalar_columns(self._access, scalars, wanted.first, wanted.last).items()
        }
        for item in items:
            if item.kind is not ObservableKind.SCALAR:
                trend = load_trend(self._access, item, wanted.first, wanted.last, statistic=statistic)
                by_id[item.id] = (trend.runs, trend.values)
        index = run_index([run_numbers for run_numbers, _ in by_id.values()])
        bad = load_bad_runs(self._access, wanted.first, wanted.last)
        columns = {
            "run": pa.array(index, pa.int32()),
            "start_time": arrow_column(load_run_times(self._access, index)),
            "good": pa.array(~np.isin(index, bad), pa.bool_()),
        }
        for item in items:
            run_numbers, values = by_id[item.id]
            full = np.zeros(index.size, dtype=values.dtype)
            valid = np.zeros(index.size, dtype=bool)
            positions = np.searchsorted(index, run_numbers)
            full[positions] = values
            valid[positions] = True
            columns[item.name] = arrow_column(full, valid)
        return to_frame(pa.table(columns), self._kind(frame), index="run")

    def arrays(self, name: str, runs: RunsLike) -> ArrayStack:
        """A 1D or 2D observable over a run range: the runs that have it, their start times and one array each, with
        its original dtype and shape. Unpacks as ``runs, arrays = ...``; ``.to_xarray()`` gives a DataArray with a
        ``run`` dimension, ``.stack()`` one numpy array.

        :raises NotAnArray: for a scalar observable.
        :raises SidecarError: when a 2D array's file is missing or fails its checksum.
        """
        wanted = self._range(runs)
        (item,) = observable_queries.get_observables(self._access, [name])
        run_numbers, arrays = load_array_series(self._access, item, wanted.first, wanted.last)
        return ArrayStack(item, run_numbers, load_run_times(self._access, run_numbers), arrays)

    def errors(self, runs: RunsLike | None = None, *, limit: int = MAX_ERRORS, frame: FrameKind | None = None) -> Any:
        """Ingest errors, newest first: ``run``, ``observable`` (empty when the whole run failed), ``message``,
        ``job_id`` and ``created_at``; of a run range, or of every run."""
        wanted = None if runs is None else self._range(runs)
        found = list_errors(
            self._access,
            limit=limit,
            first=None if wanted is None else wanted.first,
            last=None if wanted is None else wanted.last,
        )
        columns = {
            "run": pa.array([e.run for e in found], pa.int32()),
            "observable": pa.array([e.observable for e in found], pa.string()),
            "message": pa.array([e.message for e in found], pa.string()),
            "job_id": pa.array([e.job_id for e in found], pa.int32()),
            "created_at": pa.array([e.created_at for e in found], pa.timestamp("us", tz="UTC")),
        }
        return to_frame(pa.table(columns), self._kind(frame))

    def quality(self, runs: RunsLike, *, frame: FrameKind | None = None) -> Any:
        """The stored quality-check results over a run range, one row per run and check, by run then check:
        ``run``, ``check``, ``kind``, ``observable``, ``state`` (ok, warn, alarm, error, nodata), ``value``,
        ``p_value`` and ``reference_run`` (where the check has them), ``message`` and ``evaluated_at``.

        :raises RunRangeError: for a malformed range.
        """
        wanted = self._range(runs)
        found = sorted(list_results(self._access, wanted.first, wanted.last), key=lambda r: (r.run, r.check))
        columns = {
            "run": pa.array([r.run for r in found], pa.int32()),
            "check": pa.array([r.check for r in found], pa.string()),
            "kind": pa.array([r.kind for r in found], pa.string()),
            "observable": pa.array([r.observable for r in found], pa.string()),
            "state": pa.array([r.state.value for r in found], pa.string()),
            "value": pa.array([r.value for r in found], pa.float64()),
            "p_value": pa.array([r.p_value for r in found], pa.float64()),
            "reference_run": pa.array([r.reference_run for r in found], pa.int32()),
            "message": pa.array([r.message for r in found], pa.string()),
            "evaluated_at": pa.array([r.evaluated_at for r in found], pa.timestamp("us", tz="UTC")),
        }
        return to_frame(pa.table(columns), self._kind(frame))

    def table(self, names: list[str], runs: RunsLike) -> pa.Table:
        """The observables over a run range as one pyarrow table, in the layout of ``alpaca-dash export``: 2D arrays
        are raw bytes with a ``#shape`` column (and ``#part`` columns beyond 8 MiB), which ``read_arrays`` turns into
        numpy arrays."""
        run_range = self._range(runs)
        items = observable_queries.get_observables(self._access, names)
        buffer = io.BytesIO()
        export_parquet(self._access, items, run_range.first, run_range.last, buffer)
        return pq.read_table(pa.BufferReader(buffer.getvalue()))

    def _range(self, runs: RunsLike) -> RunRange:
        return to_run_range(runs, max_runs=self._access.settings.max_range)

    def _kind(self, frame: FrameKind | None) -> FrameKind:
        return self.frame if frame is None else check_frame_kind(frame)


def _utc(moment: TimeLike | None) -> datetime | None:
    if moment is None:
        return None
    parsed = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def connect(settings: Settings | None = None, *, frame: FrameKind = "pandas", **overrides: Any) -> AlpacaDash:
    """Open the database the settings name (``ALPACA_DASH_*``; ``overrides`` such as ``database_url=...`` win).

    :param frame: ``pandas`` (default), ``polars`` or ``arrow``: what runs(), trend() and errors() return.
    """
    settings = settings or Settings(**overrides)
    return AlpacaDash(DataAccess.open(settings, migrate=False), frame=frame)
