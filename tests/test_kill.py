"""A SIGKILL in the middle of a run leaves the old run, never a mix; reconcile then removes the orphaned file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import psycopg
import pytest
from polling import TIMEOUT, wait_for

from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_run
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observables import get_observables
from alpaca_dash.queries.values import load_value, referenced_files
from alpaca_dash.sources.simulated import CCD, SimulatedSource
from alpaca_dash.timescale.database import Database

pytestmark = pytest.mark.both_backends

RUN = 390002

INGEST_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from alpaca_dash.parquet_cache.store import ParquetStore
    from alpaca_dash.pipeline.ingest import ingest_run
    from alpaca_dash.sources.simulated import SimulatedSource
    from alpaca_dash.timescale.database import Database

    url, root, run = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    source = SimulatedSource(seed=99, first_run=390000, history=6, image_size=64, waveform_samples=2000)
    ingest_run(Database(url), ParquetStore(root), source, run)
    """
)


def waiting_for_runs(conn: psycopg.Connection[tuple[object, ...]]) -> bool:
    """Whether an ingest waits for the lock on ``runs``; ``conn`` may be inside a transaction."""
    conn.execute("SELECT pg_stat_clear_snapshot()")  # else pg_stat_activity stays as first read in this transaction
    query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%INTO runs%'"
    return conn.execute(query).fetchone() == (1,)


def test_killed_ingest_leaves_the_old_run_and_an_orphan_reconcile_removes(
    db: Database, store: ParquetStore, simulated: SimulatedSource, tmp_path: Path
) -> None:
    ingest_run(db, store, simulated, RUN)  # the old version, seed 7
    access = DataAccess(db, store, None)  # type: ignore[arg-type]
    (image,) = get_observables(access, [CCD])
    old_image = load_value(access, image, RUN)
    old_files = set(store.list_files())

    with psycopg.connect(db.url) as blocker:
        # hold the runs table so the new version stops just before its commit, after its file is written
        blocker.execute("LOCK TABLE runs IN EXCLUSIVE MODE")
        child = subprocess.Popen(
            [sys.executable, "-c", INGEST_SCRIPT, db.url, str(store.root), str(RUN)],
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        try:
            wait_for(lambda: set(store.list_files()) - old_files, "the new sidecar file", 3 * TIMEOUT)
            wait_for(lambda: waiting_for_runs(blocker), "the writer blocked on the runs table", 3 * TIMEOUT)
            os.kill(child.pid, signal.SIGKILL)
            assert child.wait(timeout=10) == -signal.SIGKILL
        finally:
            if child.poll() is None:
                child.kill()
        blocker.rollback()

    value = load_value(access, image, RUN)
    assert value is not None and old_image is not None and np.array_equal(value, old_image)  # the old run, whole
    wave = get_observables(access, ["captorius3*acq_0*Channel_2_SSPALS*Y_[V]*V"])[0]
    old_wave = simulated.read_run(RUN).values[wave.name]
    stored_wave = load_value(access, wave, RUN)
    assert stored_wave is not None and np.array_equal(stored_wave, old_wave)

    orphans = set(store.list_files()) - old_files
    assert len(orphans) == 1
    removed = store.reconcile(referenced_files(access), min_age_seconds=0)
    assert set(removed) == orphans
    assert set(store.list_files()) == old_files
