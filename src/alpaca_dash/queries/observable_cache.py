"""Observables recently looked up by name, so that drawing a panel does not ask the registry every time.

Names not in the cache are always read from the database, so a new observable is seen at once; a changed unit or
dtype of a known one is seen after at most ``max_age`` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from alpaca_dash.domain import Observable

#: how long a looked-up observable is reused
MAX_AGE_SECONDS = 30.0


class ObservableCache:
    """A thread-safe map of name to observable whose entries expire after ``max_age`` seconds."""

    def __init__(self, max_age: float = MAX_AGE_SECONDS) -> None:
        self.max_age = max_age
        self._entries: dict[str, tuple[float, Observable]] = {}
        self._lock = threading.Lock()

    def get(self, names: Iterable[str]) -> dict[str, Observable]:
        """The cached observables among ``names`` that are still fresh."""
        oldest = time.monotonic() - self.max_age
        with self._lock:
            entries = [(name, self._entries.get(name)) for name in names]
        return {name: entry[1] for name, entry in entries if entry is not None and entry[0] >= oldest}

    def put(self, items: Iterable[Observable]) -> None:
        now = time.monotonic()
        with self._lock:
            self._entries.update((item.name, (now, item)) for item in items)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
