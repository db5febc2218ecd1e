"""A small Python API for notebooks: observables over runs as numpy arrays and pyarrow tables.

>>> from alpaca_dash.api import connect
>>> dash = connect()                                   # the same settings as the CLI (ALPACA_DASH_*)
>>> runs, values = dash.trend("ELENA_Parameters*H_offset_mm", "390100-390180")
>>> image = dash.value("5TCCD*acq_2*background_corrected*img_with_roi", 390123)
>>> runs, images = dash.arrays("5TCCD*acq_2*background_corrected*img_with_roi", "390120-390125")
>>> table = dash.table(["ELENA_Parameters*H_offset_mm", "captorius3*acq_0*Channel_2_SSPALS*Y_[V]*V"], "390100-390180")

A file written by ``alpaca-dash export`` reads the same way: ``read_arrays(pq.read_table(path), name)``.
"""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from alpaca_dash.config import Settings
from alpaca_dash.domain import Observable, Run
from alpaca_dash.export import export_parquet, read_arrays
from alpaca_dash.queries import observables as observable_queries
from alpaca_dash.queries import runs as run_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.trends import Statistic, load_trend
from alpaca_dash.queries.values import load_value
from alpaca_dash.run_range import RunRange, parse_run_range
from alpaca_dash.types import Array

__all__ = ["AlpacaDash", "connect", "read_arrays"]


class AlpacaDash:
    """Read access to a stored Alpaca Dashboard database; close it (or use ``with``) when done."""

    def __init__(self, access: DataAccess) -> None:
        self._access = access

    def __enter__(self) -> AlpacaDash:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._access.close()

    def observables(self, search: str = "") -> list[Observable]:
        """Every observable whose name contains ``search`` (case-insensitive)."""
        needle = search.lower()
        return [o for o in observable_queries.list_observables(self._access) if needle in o.name.lower()]

    def runs(self, limit: int = 50) -> list[Run]:
        """The newest runs."""
        return run_queries.list_runs(self._access, limit=limit)

    def value(self, name: str, run: int) -> Array | None:
        """One observable in one run, with its original dtype and shape; None if the run lacks it."""
        (item,) = observable_queries.get_observables(self._access, [name])
        return load_value(self._access, item, run)

    def trend(self, name: str, runs: str | RunRange, statistic: Statistic | None = None) -> tuple[Array, Array]:
        """``(run numbers, values)`` of a scalar, or of an array's statistic, over a run range."""
        run_range = self._range(runs)
        (item,) = observable_queries.get_observables(self._access, [name])
        trend = load_trend(self._access, item, run_range.first, run_range.last, statistic=statistic)
        return trend.runs, trend.values

    def arrays(self, name: str, runs: str | RunRange) -> tuple[Array, list[Array | None]]:
        """``(run numbers, one array per run)`` of a 1D or 2D observable over a run range, each with its original
        dtype and shape; None for a run without it."""
        table = self.table([name], runs)
        return table.column("run").to_numpy(), read_arrays(table, name)

    def table(self, names: list[str], runs: str | RunRange) -> pa.Table:
        """The observables over a run range as one pyarrow table, in the layout of ``alpaca-dash export``: 2D arrays
        are raw bytes with a ``#shape`` column (and ``#part`` columns beyond 8 MiB), which ``read_arrays`` turns into
        numpy arrays."""
        run_range = self._range(runs)
        items = observable_queries.get_observables(self._access, names)
        buffer = io.BytesIO()
        export_parquet(self._access, items, run_range.first, run_range.last, buffer)
        return pq.read_table(pa.BufferReader(buffer.getvalue()))

    def _range(self, runs: str | RunRange) -> RunRange:
        if isinstance(runs, RunRange):
            return runs
        return parse_run_range(runs, max_runs=self._access.settings.max_range)


def connect(settings: Settings | None = None, **overrides: Any) -> AlpacaDash:
    """Open the database the settings name (``ALPACA_DASH_*``; ``overrides`` such as ``database_url=...`` win)."""
    settings = settings or Settings(**overrides)
    return AlpacaDash(DataAccess.open(settings, migrate=False))
