"""Which version of the schema a database holds, asked without the migrations (and SQLAlchemy) they are written in.

Every command opens the database and checks its version; only a schema behind :data:`SCHEMA_VERSION` needs
``migrations``, whose newest migration must carry this number (a test holds the two together).
"""

from __future__ import annotations

from typing import Any

import psycopg

from alpaca_dash.timescale.search_path import own_relation

#: the version the newest migration brings the schema to
SCHEMA_VERSION = 14


def current_version(conn: psycopg.Connection[Any]) -> int:
    """The schema version of this installation (its search path's first schema); 0 when it has no schema yet."""
    row = conn.execute(f"SELECT {own_relation('schema_migrations')}").fetchone()
    if row is None or row[0] is None:
        return 0
    version = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    assert version is not None
    return int(version[0])
