"""What the connected server can do: plain PostgreSQL, TimescaleDB, and which TimescaleDB licence."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text


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


def probe_capabilities(conn: Connection, *, create_extension: bool) -> Capabilities:
    """Look for TimescaleDB, creating the extension when the server has it preloaded and ``create_extension`` is set."""
    version = int(conn.execute(text("SHOW server_version_num")).scalar_one())
    installed = conn.execute(text("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")).scalar()
    if installed is None and create_extension and _timescale_preloaded(conn):
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS timescaledb"))
        installed = conn.execute(text("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")).scalar()
    license_ = None
    if installed is not None:
        license_ = conn.execute(text("SELECT current_setting('timescaledb.license', true)")).scalar()
    return Capabilities(version, installed, license_)


def _timescale_preloaded(conn: Connection) -> bool:
    libraries = conn.execute(text("SELECT current_setting('shared_preload_libraries', true)")).scalar() or ""
    available = conn.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")).scalar()
    return available is not None and "timescaledb" in libraries
