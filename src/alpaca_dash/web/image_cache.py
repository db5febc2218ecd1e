"""PNG images drawn for panels, kept briefly in memory and fetched by the browser over HTTP.

Each entry belongs to the user it was drawn for; its token is random, so URLs cannot be guessed or shared.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict


class ImageCache:
    """A least-recently-used store of PNG bytes bounded by total size."""

    def __init__(self, max_bytes: int = 128 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, tuple[int, bytes]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def put(self, owner_id: int, png: bytes) -> str:
        """Keep ``png`` for ``owner_id``; returns its token."""
        token = secrets.token_urlsafe(18)
        with self._lock:
            self._entries[token] = (owner_id, png)
            self._size += len(png)
            while self._size > self.max_bytes and len(self._entries) > 1:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._size -= len(dropped)
        return token

    def get(self, owner_id: int, token: str) -> bytes | None:
        """The PNG if it exists and belongs to ``owner_id``."""
        with self._lock:
            entry = self._entries.get(token)
            if entry is None or entry[0] != owner_id:
                return None
            self._entries.move_to_end(token)
            return entry[1]

    def __len__(self) -> int:
        return len(self._entries)
