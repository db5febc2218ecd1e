"""A webhook receiver on loopback: takes each alarm message a webhook contact point POSTs, notes when it came and
hands it on. The demo prints what it receives (``alpaca-dash demo --receiver``); the notify benchmark times it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    """One POST: its JSON body, its ``Idempotency-Key`` and ``time.time()`` when it had been read."""

    payload: dict[str, Any]
    key: str
    at: float


class LoopbackReceiver:
    """An HTTP server on 127.0.0.1 (``port`` 0: any free one) answering 200 to every POST, on a thread of its own.

    :param on_message: called with each message, on the server's thread.
    """

    def __init__(self, port: int = 0, on_message: Callable[[Received], None] | None = None) -> None:
        self.received: list[Received] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                message = Received(json.loads(body or b"{}"), self.headers.get("Idempotency-Key", ""), time.time())
                self.send_response(200)
                self.end_headers()
                with receiver._lock:
                    receiver.received.append(message)
                if on_message is not None:
                    on_message(message)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self.server.serve_forever, name="webhook receiver", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/alpaca"

    def start(self) -> LoopbackReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
