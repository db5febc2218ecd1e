"""What the connected server can do: plain PostgreSQL, TimescaleDB, and which TimescaleDB licence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg


@dataclass(frozen=True)
class Capabilities:
    server_version: int
    timescale_version: str | None
    timescale_license: str | None

    @property
    def timescale(self) -> bool:
        return self.timescale_version is not None

    @property
    def timescale_community(self) -> bool:
        """Compression and continuous aggregates need the Timescale licence; the Apache edition refuses them."""
        return self.timescale and self.timescale_license == "timescale"

    def describe(self) -> str:
        if not self.timescale:
            return f"PostgreSQL {self.server_version // 10000} (plain: B-tree and BRIN indexes)"
        return (
            f"PostgreSQL {self.server_version // 10000} with TimescaleDB {self.timescale_version} "
            f"({self.timescale_license} licence)"
        )


def probe_capabilities(conn: psycopg.Connection[Any], *, create_extension: bool) -> Capabilities:
    """Look for TimescaleDB, creating the extension when the server has it preloaded and ``create_extension`` is set."""
    version = int(_value(conn, "SHOW server_version_num"))
    installed = _value(conn, "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")
    if installed is None and create_extension and _timescale_preloaded(conn):
        conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
        installed = _value(conn, "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")
    license_ = None
    if installed is not None:
        license_ = _value(conn, "SELECT current_setting('timescaledb.license', true)")
    return Capabilities(version, installed, license_)


def _timescale_preloaded(conn: psycopg.Connection[Any]) -> bool:
    libraries = _value(conn, "SELECT current_setting('shared_preload_libraries', true)") or ""
    available = _value(conn, "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")
    return available is not None and "timescaledb" in libraries


def _value(conn: psycopg.Connection[Any], query: str) -> Any:
    """The first column of the query's first row; None when it has no row."""
    row = conn.execute(query).fetchone()
    return None if row is None else row[0]
