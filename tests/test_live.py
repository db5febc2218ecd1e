"""Committed runs reach in-process subscribers through LISTEN/NOTIFY, without polling."""

from __future__ import annotations

import queue
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_run
from alpaca_dash.pipeline.quality import store_results
from alpaca_dash.sources.simulated import SimulatedSource
from alpaca_dash.timescale.database import Database, with_schema
from alpaca_dash.timescale.notify import RunListener


@pytest.fixture
def listener(db: Database, store: ParquetStore) -> Iterator[RunListener]:
    listener = RunListener(db, timeout=0.2)
    listener.start()
    assert listener.connected.wait(10)
    yield listener
    listener.stop()


def test_subscribers_hear_each_committed_run(
    listener: RunListener, db: Database, store: ParquetStore, simulated: SimulatedSource
) -> None:
    heard: queue.Queue[int] = queue.Queue()
    also: queue.Queue[int] = queue.Queue()

    def broken(run: int) -> None:
        raise RuntimeError("a subscriber that fails")

    listener.subscribe(broken)
    listener.subscribe(heard.put)
    unsubscribe = listener.subscribe(also.put)
    ingest_run(db, store, simulated, 390001)
    assert heard.get(timeout=10) == 390001 and also.get(timeout=10) == 390001
    unsubscribe()
    assert listener.subscriber_count == 2
    ingest_run(db, store, simulated, 390002)
    assert heard.get(timeout=10) == 390002
    assert also.empty()


def test_an_installation_in_another_schema_of_the_database_is_not_heard(
    listener: RunListener, db: Database, store: ParquetStore, simulated: SimulatedSource, postgres_url: str
) -> None:
    """Runs committed in a second schema of the same database stay there; the listener hears its own schema's."""
    heard: queue.Queue[int] = queue.Queue()
    listener.subscribe(heard.put)
    other_schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(other_schema)))
    other = Database(with_schema(postgres_url, other_schema))
    try:
        other.migrate()
        ingest_run(other, store, simulated, 390004)
        ingest_run(db, store, simulated, 390005)
        assert heard.get(timeout=10) == 390005
        assert heard.empty()
    finally:
        other.dispose()
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(other_schema)))


def test_stored_quality_results_are_heard_apart_from_commits(
    listener: RunListener, db: Database, store: ParquetStore, simulated: SimulatedSource
) -> None:
    committed: queue.Queue[int] = queue.Queue()
    judged: queue.Queue[int] = queue.Queue()
    listener.subscribe(committed.put)
    listener.subscribe_judged(judged.put)
    ingest_run(db, store, simulated, 390001)
    assert committed.get(timeout=10) == 390001
    store_results(db, 390001, [])  # no checks: the run's results (none) are stored all the same
    assert judged.get(timeout=10) == 390001
    assert committed.empty() and judged.empty()
