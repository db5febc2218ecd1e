"""Files made for panels (PNG images, data downloads), kept briefly in memory and fetched by the browser over HTTP.

Each entry belongs to the user it was made for; its token is random, so URLs cannot be guessed or shared. Sent over
HTTP rather than the websocket, a download of any size leaves the page's connection alone (engine.io drops a socket
on a message over 1 MB).
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PanelFile:
    """A file for its owner: ``content`` in memory, or (a large download) the file at ``path``."""

    owner_id: int
    content: bytes
    media_type: str = "image/png"
    filename: str = ""
    path: Path | None = None


class ImageCache:
    """A least-recently-used store of panel files bounded by total size (the newest is always kept)."""

    def __init__(self, max_bytes: int = 128 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, PanelFile] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def put(self, owner_id: int, png: bytes) -> str:
        """Keep a PNG for ``owner_id``; returns its token."""
        return self.put_file(PanelFile(owner_id, png))

    def put_file(self, entry: PanelFile) -> str:
        """Keep a file for its owner; returns its token."""
        token = secrets.token_urlsafe(18)
        with self._lock:
            self._entries[token] = entry
            self._size += len(entry.content)
            while self._size > self.max_bytes and len(self._entries) > 1:
                _, dropped = self._entries.popitem(last=False)
                self._size -= len(dropped.content)
        return token

    def get(self, owner_id: int, token: str) -> bytes | None:
        """The PNG if it exists and belongs to ``owner_id``."""
        entry = self.get_file(owner_id, token)
        return None if entry is None else entry.content

    def get_file(self, owner_id: int, token: str) -> PanelFile | None:
        with self._lock:
            entry = self._entries.get(token)
            if entry is None or entry.owner_id != owner_id:
                return None
            self._entries.move_to_end(token)
            return entry

    def __len__(self) -> int:
        return len(self._entries)
