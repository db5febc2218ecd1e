"""PostgreSQL LISTEN/NOTIFY for committed runs: the ingest transaction's NOTIFY (and the quality results'), and one
LISTEN connection per process fanned out to in-process subscribers.

Nothing polls the runs table. The ingest transaction's NOTIFY is delivered only at its commit, so a subscriber
that reads the run it is told about always finds it whole.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from alpaca_dash.timescale.database import Database, DatabaseUnavailable

if TYPE_CHECKING:
    from sqlalchemy import Connection

log = logging.getLogger(__name__)

RUN_CHANNEL = "alpaca_runs"
#: the channel of the connection's schema: ``alpaca_runs`` in ``public``, a name derived from the schema in any other,
#: so that installations in different schemas of one database do not hear each other's runs
_CHANNEL_OF_SCHEMA = (
    f"CASE current_schema() WHEN 'public' THEN '{RUN_CHANNEL}' "
    f"ELSE '{RUN_CHANNEL}_' || left(md5(current_schema()), 16) END"
)

#: the payload's prefix when a run's quality results were stored (a bare number is a committed run)
JUDGED_PREFIX = "judged "

RunCallback = Callable[[int], None]
#: the longest wait between two attempts to reconnect, which is also how long a page may lag behind a recovery
MAX_BACKOFF_SECONDS = 10.0


def notify_run(cur: psycopg.Cursor[Any], run: int) -> None:
    """Tell the schema's listeners about the run; PostgreSQL delivers it only when the transaction commits."""
    cur.execute(f"SELECT pg_notify({_CHANNEL_OF_SCHEMA}, %s)", (str(run),))


def notify_judged(conn: Connection, run: int) -> None:
    """Tell the schema's listeners that the run's quality results were stored, at the commit of ``conn``'s
    transaction (the results' own, never the ingest's)."""
    conn.exec_driver_sql(f"SELECT pg_notify({_CHANNEL_OF_SCHEMA}, %s)", (f"{JUDGED_PREFIX}{run}",))


def run_channel(conn: psycopg.Connection[Any]) -> str:
    """The channel ``notify_run`` uses in this connection's schema (its search path's first schema), to LISTEN on."""
    row = conn.execute(f"SELECT {_CHANNEL_OF_SCHEMA}").fetchone()
    assert row is not None
    return str(row[0])


class RunListener:
    """A background thread that LISTENs for committed runs and calls every subscriber with the run number.

    Callbacks run on the listener thread: they must be quick and thread-safe (hand the work to an event loop).
    The connection is re-opened with backoff when the database goes away; ``on_state`` hears ``True`` when
    listening and ``False`` when the connection is lost or cannot be made, so pages can show a banner.
    """

    def __init__(self, db: Database, *, timeout: float = 1.0) -> None:
        self._db = db
        self._timeout = timeout
        self._subscribers: dict[int, RunCallback] = {}
        self._judged_subscribers: dict[int, RunCallback] = {}
        self._state_subscribers: dict[int, Callable[[bool], None]] = {}
        self._next_id = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.connected = threading.Event()
        self._state: bool | None = None  # unknown until the first attempt to connect

    def subscribe(self, callback: RunCallback) -> Callable[[], None]:
        """Call ``callback(run)`` for each committed run; returns the function that unsubscribes."""
        return self._add(self._subscribers, callback)

    def subscribe_judged(self, callback: RunCallback) -> Callable[[], None]:
        """Call ``callback(run)`` each time a run's quality results are stored; returns the function that
        unsubscribes."""
        return self._add(self._judged_subscribers, callback)

    def subscribe_state(self, callback: Callable[[bool], None]) -> Callable[[], None]:
        """Call ``callback(connected)`` when the database connection is lost or back."""
        return self._add(self._state_subscribers, callback)

    def _add(self, registry: dict[int, Callable[..., None]], callback: Callable[..., None]) -> Callable[[], None]:
        with self._lock:
            key = self._next_id
            self._next_id += 1
            registry[key] = callback

        def unsubscribe() -> None:
            with self._lock:
                registry.pop(key, None)

        return unsubscribe

    @property
    def down(self) -> bool:
        """Whether the database is known to be unreachable (not merely not yet connected)."""
        return self._state is False

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="run-listener", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._timeout + 5)

    def _run(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                with self._db.connect_raw() as conn:
                    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(run_channel(conn))))
                    self._set_connected(True)
                    delay = 0.5
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=self._timeout):
                            self._publish(note.payload)
            except (psycopg.OperationalError, DatabaseUnavailable) as exc:
                if self.connected.is_set():
                    log.warning("lost the run notification connection: %s", exc)
                self._set_connected(False)
                self._stop.wait(delay)
                delay = min(MAX_BACKOFF_SECONDS, delay * 2)

    def _set_connected(self, connected: bool) -> None:
        (self.connected.set if connected else self.connected.clear)()
        with self._lock:
            changed, self._state = connected != self._state, connected
            callbacks = list(self._state_subscribers.values())
        if changed:
            for callback in callbacks:
                _call_safely(callback, connected)

    def _publish(self, payload: str) -> None:
        judged = payload.startswith(JUDGED_PREFIX)
        try:
            run = int(payload.removeprefix(JUDGED_PREFIX))
        except ValueError:
            log.warning("ignoring a malformed run notification %r", payload)
            return
        with self._lock:
            callbacks = list((self._judged_subscribers if judged else self._subscribers).values())
        for callback in callbacks:
            _call_safely(callback, run)


def _call_safely(callback: Callable[..., None], *args: object) -> None:
    """One subscriber's failure must not stop the others from hearing of the run."""
    try:
        callback(*args)
    except Exception:
        log.exception("run subscriber failed")
