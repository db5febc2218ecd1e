"""Values recently loaded for panels, shared by every page of the process.

Several panels often show the same array (a waveform as a line and as a histogram, its x for two lines): it is read
once. Keys carry the run's ``ingested_at``, so a re-ingested run is read afresh. Concurrent requests for one key wait
for the first reader instead of reading it again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

Value = np.ndarray[Any, Any] | None
#: how long a second reader waits for the first before reading itself
WAIT_SECONDS = 30.0


class ValueCache:
    """A least-recently-used store of arrays bounded by their total bytes."""

    def __init__(self, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._values: OrderedDict[Hashable, Value] = OrderedDict()
        self._pending: dict[Hashable, threading.Event] = {}
        self._size = 0
        self._lock = threading.Lock()
        #: values read from storage (not found in the cache) since the process started
        self.loads = 0

    def get_or_load(self, key: Hashable, load: Callable[[], Value]) -> Value:
        """The cached value for ``key``, else ``load()`` (at most one load per key at a time)."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            pending = self._pending.get(key)
            first = pending is None
            if first:
                pending = self._pending[key] = threading.Event()
        assert pending is not None
        if not first:
            pending.wait(WAIT_SECONDS)
            with self._lock:
                if key in self._values:
                    return self._values[key]
        with self._lock:
            self.loads += 1
        try:
            value = load()
        except BaseException:
            if first:
                self._finish(key, pending)
            raise
        if first:
            self._store(key, value)
            self._finish(key, pending)
        return value

    def _store(self, key: Hashable, value: Value) -> None:
        size = 0 if value is None else int(value.nbytes)
        if size > self.max_bytes // 4:
            return
        with self._lock:
            self._values[key] = value
            self._size += size
            while self._size > self.max_bytes and self._values:
                _, dropped = self._values.popitem(last=False)
                self._size -= 0 if dropped is None else int(dropped.nbytes)

    def _finish(self, key: Hashable, pending: threading.Event) -> None:
        with self._lock:
            self._pending.pop(key, None)
        pending.set()

    def __len__(self) -> int:
        return len(self._values)
