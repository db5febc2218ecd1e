"""What checks read while the pipeline judges a run: its values (in memory right after ingest, else from storage),
reference runs' arrays (cached across runs), and the history of good runs before it."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from sqlalchemy import text

from alpaca_dash.domain import ArrayStats, ObservableKind, compute_stats
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.quality.evaluate import statistic_of
from alpaca_dash.queries.quality import GOOD_RUN
from alpaca_dash.queries.values import read_array
from alpaca_dash.timescale.database import Database
from alpaca_dash.types import Array

NEWEST_GOOD_BEFORE = text(f"SELECT max(r.run) FROM runs r WHERE r.run < :run AND {GOOD_RUN}")
SCALAR_VALUE = text("SELECT value FROM scalars WHERE observable_id = :id AND run = :run")
SCALAR_HISTORY = text(
    "SELECT s.value FROM scalars s JOIN runs r ON r.run = s.run "
    f"WHERE s.observable_id = :id AND s.run < :run AND {GOOD_RUN} ORDER BY s.run DESC LIMIT :n"
)
STATS_OF_RUN = text(
    "SELECT min, max, mean, std, sum, count, nan_count FROM array_stats WHERE observable_id = :id AND run = :run"
)
#: one statistic by name: the column comes from a fixed list, never from input
STATISTIC_COLUMNS = ("min", "max", "mean", "std", "sum", "count", "nan_count")


@dataclass(frozen=True)
class ObservableRef:
    id: int
    kind: ObservableKind


class ReferenceCache:
    """Reference arrays by (observable id, run), the least recently used dropped beyond ``max_bytes``: consecutive
    runs are judged against the same reference, which is read once."""

    def __init__(self, max_bytes: int = 256 << 20) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[int, int], Array | None] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[int, int], load: Callable[[], Array | None]) -> Array | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = load()
        with self._lock:
            if key not in self._items:
                self._items[key] = value
                self._bytes += 0 if value is None else value.nbytes
            while self._bytes > self.max_bytes and len(self._items) > 1:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= 0 if dropped is None else dropped.nbytes
        return value


class RunInputs:
    """:class:`alpaca_dash.quality.evaluate.CheckInputs` for one run.

    :param values: the run's values by name as just ingested, or None to read them from storage.
    """

    def __init__(
        self,
        db: Database,
        store: ParquetStore,
        run: int,
        registry: Mapping[str, ObservableRef],
        values: Mapping[str, Array] | None,
        references: ReferenceCache,
    ) -> None:
        self.db = db
        self.store = store
        self.run = run
        self.registry = registry
        self.values = values
        self.references = references
        self._stats: dict[str, ArrayStats | None] = {}
        self._loaded: dict[str, Array | None] = {}
        self._newest_good: int | None = None
        self._newest_good_known = False

    def value(self, observable: str) -> Array | None:
        if self.values is not None:
            return self.values.get(observable)
        if observable not in self._loaded:
            self._loaded[observable] = self._load(observable)
        return self._loaded[observable]

    def _load(self, observable: str) -> Array | None:
        ref = self.registry.get(observable)
        if ref is None:
            return None
        if ref.kind is ObservableKind.SCALAR:
            with self.db.begin() as conn:
                value = conn.execute(SCALAR_VALUE, {"id": ref.id, "run": self.run}).scalar()
            return None if value is None else np.array(value, dtype=np.float64)
        return read_array(self.db, self.store, ref.id, ref.kind, self.run)

    def statistic(self, observable: str, statistic: str) -> float | None:
        ref = self.registry.get(observable)
        if ref is None:
            return None
        if statistic == "value" or ref.kind is ObservableKind.SCALAR:
            value = self.value(observable)
            return None if value is None else statistic_of(value, "value")
        if observable not in self._stats:
            self._stats[observable] = self._array_stats(observable, ref)
        stats = self._stats[observable]
        return None if stats is None else float(getattr(stats, statistic))

    def _array_stats(self, observable: str, ref: ObservableRef) -> ArrayStats | None:
        if self.values is not None:
            value = self.values.get(observable)
            return None if value is None else compute_stats(value)
        with self.db.begin() as conn:
            row = conn.execute(STATS_OF_RUN, {"id": ref.id, "run": self.run}).first()
        return None if row is None else ArrayStats(*row)

    def reference_run(self, fixed: int | None) -> int | None:
        if fixed is not None:
            return fixed
        if not self._newest_good_known:
            with self.db.begin() as conn:
                self._newest_good = conn.execute(NEWEST_GOOD_BEFORE, {"run": self.run}).scalar()
            self._newest_good_known = True
        return self._newest_good

    def reference_value(self, observable: str, run: int) -> Array | None:
        ref = self.registry.get(observable)
        if ref is None or ref.kind is ObservableKind.SCALAR:
            return None
        return self.references.get((ref.id, run), lambda: read_array(self.db, self.store, ref.id, ref.kind, run))

    def history(self, observable: str, statistic: str, runs: int) -> Array:
        ref = self.registry.get(observable)
        if ref is None:
            return np.empty(0)
        if ref.kind is ObservableKind.SCALAR:
            query = SCALAR_HISTORY
        else:
            column = STATISTIC_COLUMNS[STATISTIC_COLUMNS.index(statistic)]  # raises for anything else
            query = text(
                f"SELECT a.{column} FROM array_stats a JOIN runs r ON r.run = a.run "
                f"WHERE a.observable_id = :id AND a.run < :run AND {GOOD_RUN} ORDER BY a.run DESC LIMIT :n"
            )
        with self.db.begin() as conn:
            values = conn.execute(query, {"id": ref.id, "run": self.run, "n": runs}).scalars().all()
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
