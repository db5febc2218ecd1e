"""kill -9 of the follow worker in the middle of a run: no partial run, and a new worker resumes where it stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from polling import TIMEOUT, wait_for

from alpaca_dash.timescale.database import Database

pytestmark = pytest.mark.slow
#: a worker subprocess first imports the app and connects: allow it more than one state change takes
WORKER_TIMEOUT = 6 * TIMEOUT


def start_worker(url: str, data: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ALPACA_DASH_DATABASE_URL": url,
        "ALPACA_DASH_DATA_DIR": str(data),
        "ALPACA_DASH_SIMULATED_IMAGE_SIZE": "32",
        "ALPACA_DASH_SIMULATED_HISTORY": "3",
        "ALPACA_DASH_SIMULATED_RUN_SECONDS": "0.5",
        "ALPACA_DASH_FOLLOW_INTERVAL": "0.2",
        "ALPACA_DASH_LOG_LEVEL": "WARNING",
    }
    cli = Path(sys.executable).with_name("alpaca-dash")
    with (data / "worker.log").open("ab") as log:
        return subprocess.Popen([str(cli), "follow"], env=env, stdout=subprocess.DEVNULL, stderr=log)


def stored_runs(conn: psycopg.Connection[tuple[object, ...]]) -> list[int]:
    return [row[0] for row in conn.execute("SELECT run FROM runs WHERE status = 'ingested' ORDER BY run")]  # type: ignore[misc]


def test_a_killed_follow_worker_leaves_whole_runs_and_a_new_one_resumes(db: Database, tmp_path: Path) -> None:
    fresh_schema_url = db.url
    worker = start_worker(fresh_schema_url, tmp_path)
    with psycopg.connect(fresh_schema_url, autocommit=True) as watcher:
        try:
            wait_for(lambda: len(stored_runs(watcher)) >= 3, "three runs followed", WORKER_TIMEOUT)
            with psycopg.connect(fresh_schema_url) as blocker:
                blocker.execute("LOCK TABLE runs IN EXCLUSIVE MODE")  # the next run stops just before its commit

                def worker_waits() -> bool:
                    blocker.execute("SELECT pg_stat_clear_snapshot()")
                    query = (
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE wait_event_type = 'Lock' AND query LIKE '%INTO runs%'"
                    )
                    return blocker.execute(query).fetchone() == (1,)

                wait_for(worker_waits, "the worker blocked in its transaction", WORKER_TIMEOUT)
                os.kill(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)
        finally:
            if worker.poll() is None:
                worker.kill()
        before = stored_runs(watcher)
        # every stored run is whole: as many scalar rows as it has scalar observables
        for run in before:
            row = watcher.execute(
                "SELECT (SELECT count(*) FROM scalars WHERE run = %s), observable_count FROM runs WHERE run = %s",
                (run, run),
            ).fetchone()
            assert row is not None and 300 < row[0] <= row[1]

        resumed = start_worker(fresh_schema_url, tmp_path)
        try:
            wait_for(lambda: len(stored_runs(watcher)) >= len(before) + 3, "three more runs", WORKER_TIMEOUT)
        finally:
            resumed.send_signal(signal.SIGTERM)
            assert resumed.wait(timeout=20) == 0, (tmp_path / "worker.log").read_text()
        after = stored_runs(watcher)
        assert after[: len(before)] == before
        assert after == list(range(after[0], after[-1] + 1))  # the interrupted run was not skipped
