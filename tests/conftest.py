"""Real databases for the tests: a fresh schema per test on plain PostgreSQL and, where configured, TimescaleDB.

``ALPACA_DASH_TEST_DATABASE_URL`` names a PostgreSQL server (CI: the machine's PostgreSQL 15); without it the tests
start an embedded PostgreSQL. ``ALPACA_DASH_TEST_TIMESCALE_URL`` names a TimescaleDB server (CI:
``scripts/timescaledb.sh up``); CI fails when it is missing, elsewhere the TimescaleDB half is skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.sources.simulated import SimulatedSource
from alpaca_dash.timescale.database import Database, with_schema

BACKENDS = ["postgres", "timescale"]
pytest_plugins = ["cli_fixtures"]


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("ALPACA_DASH_TEST_DATABASE_URL")
    if url:
        return url
    from alpaca_dash.timescale.embedded import start_embedded

    return start_embedded(Path("/tmp/alpaca-dash-test-embedded"), database="alpaca_dash_test")


@pytest.fixture(scope="session")
def timescale_url() -> str:
    url = os.environ.get("ALPACA_DASH_TEST_TIMESCALE_URL")
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail("CI must test on TimescaleDB: set ALPACA_DASH_TEST_TIMESCALE_URL (scripts/timescaledb.sh up)")
    pytest.skip("no TimescaleDB here: run scripts/timescaledb.sh up and set ALPACA_DASH_TEST_TIMESCALE_URL")


@pytest.fixture
def fresh_schema_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A URL whose search path is a new, empty schema on the backend the test asks for; dropped afterwards."""
    backend = getattr(request, "param", "postgres")
    base = request.getfixturevalue("timescale_url" if backend == "timescale" else "postgres_url")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield with_schema(base, schema)
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def empty_database_url(postgres_url: str) -> Iterator[str]:
    """A new database (its public schema empty); dropped afterwards."""
    name = f"alpaca_side_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def db(fresh_schema_url: str) -> Iterator[Database]:
    """A migrated database in a fresh schema; fails the test if it leaves connections checked out."""
    database = Database(fresh_schema_url)
    database.migrate()
    yield database
    leaked = database.checked_out()
    database.dispose()
    assert leaked == 0, f"{leaked} database connections were not returned to their pool"


@pytest.fixture
def store(tmp_path: Path) -> ParquetStore:
    return ParquetStore(tmp_path / "parquet", fsync=False)


@pytest.fixture
def simulated() -> SimulatedSource:
    """A small, frozen simulated source: 6 runs from 390000, 64x64 images, 2000-sample waveforms."""
    return SimulatedSource(seed=7, first_run=390000, history=6, image_size=64, waveform_samples=2000)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``both_backends`` run once on plain PostgreSQL and once on TimescaleDB."""
    if metafunc.definition.get_closest_marker("postgres_only"):
        return
    if metafunc.definition.get_closest_marker("both_backends") and "fresh_schema_url" in metafunc.fixturenames:
        metafunc.parametrize("fresh_schema_url", BACKENDS, indirect=True)
