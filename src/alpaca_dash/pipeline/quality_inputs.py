"""What checks read while the pipeline judges a run: its values (in memory right after ingest, else from storage),
reference runs' arrays (cached across runs), and the history of good runs before it.

Two things keep a run's 200 checks well under a second (bench P10): a run judged good right after its ingest leaves
its arrays in the cache as the next run's reference (sorted, for the distribution tests), so the next run reads no
reference from storage; and the history of every history check comes in one query per table.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import numpy as np
from sqlalchemy import text

from alpaca_dash.domain import ArrayStats, ObservableKind, compute_stats
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.quality.evaluate import statistic_of
from alpaca_dash.quality.statistics import finite
from alpaca_dash.queries.quality import GOOD_RUN
from alpaca_dash.queries.values import read_array
from alpaca_dash.timescale.database import Database
from alpaca_dash.types import Array

NEWEST_GOOD_BEFORE = text(f"SELECT max(r.run) FROM runs r WHERE r.run < :run AND {GOOD_RUN}")
GOOD_RUNS_BEFORE = text(f"SELECT r.run FROM runs r WHERE r.run < :run AND {GOOD_RUN} ORDER BY r.run DESC LIMIT :n")
SCALAR_VALUE = text("SELECT value FROM scalars WHERE observable_id = :id AND run = :run")
SCALAR_HISTORY = text(
    "SELECT observable_id, run, value FROM scalars WHERE observable_id = ANY(:ids) AND run = ANY(:runs)"
)
STATS_HISTORY = text(
    "SELECT observable_id, run, min, max, mean, std, sum, count, nan_count FROM array_stats "
    "WHERE observable_id = ANY(:ids) AND run = ANY(:runs)"
)
STATS_OF_RUN = text(
    "SELECT min, max, mean, std, sum, count, nan_count FROM array_stats WHERE observable_id = :id AND run = :run"
)
STATISTIC_COLUMNS = ("min", "max", "mean", "std", "sum", "count", "nan_count")
#: a reference as stored (pixel order kept) or as a sorted distribution of its finite values
CacheKey = tuple[int, int, bool]


@dataclass(frozen=True)
class ObservableRef:
    id: int
    kind: ObservableKind


class ReferenceCache:
    """Reference arrays by (observable id, run, sorted), the least recently used dropped beyond ``max_bytes``."""

    def __init__(self, max_bytes: int = 256 << 20) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[CacheKey, Array | None] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: CacheKey, load: Callable[[], Array | None]) -> Array | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = load()
        self.put(key, value)
        return value

    def put(self, key: CacheKey, value: Array | None) -> None:
        with self._lock:
            if key in self._items:
                return
            self._items[key] = value
            self._bytes += 0 if value is None else value.nbytes
            while self._bytes > self.max_bytes and len(self._items) > 1:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= 0 if dropped is None else dropped.nbytes


class RunInputs:
    """:class:`alpaca_dash.quality.evaluate.CheckInputs` for one run.

    :param values: the run's values by name as just ingested, or None to read them from storage.
    :param history: the observables of the history checks and the most runs any of them looks back.
    """

    def __init__(
        self,
        db: Database,
        store: ParquetStore,
        run: int,
        registry: Mapping[str, ObservableRef],
        values: Mapping[str, Array] | None,
        references: ReferenceCache,
        *,
        history: tuple[Collection[str], int] = ((), 0),
    ) -> None:
        self.db = db
        self.store = store
        self.run = run
        self.registry = registry
        self.values = values
        self.references = references
        self._history_names, self._history_runs = history
        self._history: dict[tuple[str, str], dict[int, float]] | None = None
        self._good_runs: list[int] = []
        self._stats: dict[str, ArrayStats | None] = {}
        self._loaded: dict[str, Array | None] = {}
        self._sorted: dict[str, Array] = {}
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

    def distribution(self, observable: str) -> Array | None:
        if observable not in self._sorted:
            value = self.value(observable)
            if value is None:
                return None
            self._sorted[observable] = np.sort(finite(value))
        return self._sorted[observable]

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
        return self.references.get((ref.id, run, False), lambda: read_array(self.db, self.store, ref.id, ref.kind, run))

    def reference_distribution(self, observable: str, run: int) -> Array | None:
        ref = self.registry.get(observable)
        if ref is None or ref.kind is ObservableKind.SCALAR:
            return None

        def load() -> Array | None:
            value = read_array(self.db, self.store, ref.id, ref.kind, run)
            return None if value is None else np.sort(finite(value))

        return self.references.get((ref.id, run, True), load)

    def offer_as_references(self, ordered: Collection[str]) -> None:
        """Keep this run's sorted distributions, and its arrays of ``ordered`` as they are, as the next run's
        references (the caller knows the run is good)."""
        for name, distribution in self._sorted.items():
            self.references.put((self.registry[name].id, self.run, True), distribution)
        for name in ordered:
            value = self.value(name)
            if name in self.registry and value is not None:
                self.references.put((self.registry[name].id, self.run, False), value)

    def history(self, observable: str, statistic: str, runs: int) -> Array:
        if self._history is None:
            self._history = self._load_history()
        found = self._history.get((observable, statistic), {})
        values = [found[run] for run in self._good_runs[:runs] if run in found]
        return np.array(values, dtype=np.float64)

    def _load_history(self) -> dict[tuple[str, str], dict[int, float]]:
        """Every history observable's values in the last good runs: one query per table."""
        names = {ref.id: name for name in self._history_names if (ref := self.registry.get(name)) is not None}
        history: dict[tuple[str, str], dict[int, float]] = {}
        if not names or self._history_runs < 1:
            return history
        with self.db.begin() as conn:
            self._good_runs = list(conn.execute(GOOD_RUNS_BEFORE, {"run": self.run, "n": self._history_runs}).scalars())
            arguments = {"ids": list(names), "runs": self._good_runs}
            for observable_id, run, value in conn.execute(SCALAR_HISTORY, arguments):
                history.setdefault((names[observable_id], "value"), {})[run] = value
            for observable_id, run, *stats in conn.execute(STATS_HISTORY, arguments):
                for column, value in zip(STATISTIC_COLUMNS, stats, strict=True):
                    if value is not None:
                        history.setdefault((names[observable_id], column), {})[run] = value
        return history
