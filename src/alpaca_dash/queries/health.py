"""Health of the stores the web server depends on."""

from __future__ import annotations

from alpaca_dash.queries.access import DataAccess


def check_database(access: DataAccess) -> bool:
    """True when the database answers a trivial query."""
    return access.db.ping()
