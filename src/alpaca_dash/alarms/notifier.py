"""The notifier: a thread that delivers due outbox messages to their contact points, outside any ingest."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from alpaca_dash.alarms import outbox
from alpaca_dash.alarms.contact_points import ContactPoint, DeliveryError
from alpaca_dash.timescale.database import Database, DatabaseUnavailable

log = logging.getLogger(__name__)

#: how long a claimed message is kept from other notifiers (longer than a delivery's timeouts)
LEASE_SECONDS = 60.0
POLL_SECONDS = 1.0


def deliver_due(db: Database, points: Sequence[ContactPoint], *, lease: float = LEASE_SECONDS) -> int:
    """Deliver every message that is due now, one after another. :returns: how many were sent."""
    by_name = {point.name: point for point in points}
    sent = 0
    while (claimed := outbox.claim(db, list(by_name), lease=lease)) is not None:
        name, message, attempt = claimed
        try:
            by_name[name].send(message)
        except DeliveryError as exc:
            log.warning("notification %d (run %d) to %s failed: %s", message.id, message.run, name, exc)
            outbox.mark_failed(db, message.id, attempt, str(exc))
            continue
        outbox.mark_sent(db, message.id)
        sent += 1
    return sent


class Notifier:
    """Delivers due messages every ``poll`` seconds (and at once when woken) until stopped."""

    def __init__(
        self, db: Database, points: Sequence[ContactPoint], *, poll: float = POLL_SECONDS, lease: float = LEASE_SECONDS
    ) -> None:
        self.db = db
        self.points = list(points)
        self.poll = poll
        self.lease = lease
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.points and self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="notifier", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """A run's results were stored: look for messages now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                deliver_due(self.db, self.points, lease=self.lease)
            except DatabaseUnavailable as exc:
                log.warning("notifications wait for the database: %s", exc)
            except Exception:
                log.exception("notifier")
            self._wake.wait(self.poll)
            self._wake.clear()
