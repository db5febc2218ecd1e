"""Following a folder of run files: a file still being written is waited for, and a failed run is ingested again,
a bounded number of times, when its file changes; every attempt at a failed run is recorded."""

from __future__ import annotations

import io
import os
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from polling import wait_for
from sqlalchemy import select

from alpaca_dash.config import Settings
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.follow import follow_once
from alpaca_dash.pipeline.ingest import IngestResult
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observables import get_observables
from alpaca_dash.queries.runs import get_run
from alpaca_dash.queries.values import load_value
from alpaca_dash.sources.files import FileSource
from alpaca_dash.timescale.database import Database
from alpaca_dash.timescale.schema import ingest_attempts

WAVEFORM = np.arange(200_000, dtype=np.float64)


def npz_bytes(scale: float = 1.0) -> bytes:
    out = io.BytesIO()
    arrays: dict[str, Any] = {"Det*wave": WAVEFORM * scale, "Det*count": np.uint64(2**64 - 1)}
    np.savez(out, **arrays)
    return out.getvalue()


def settled_file(path: Path, data: bytes) -> None:
    """A file written a minute ago."""
    path.write_bytes(data)
    old = time.time() - 60
    os.utime(path, (old, old))


def attempts(db: Database) -> list[tuple[int, bool]]:
    with db.begin() as conn:
        rows = conn.execute(select(ingest_attempts.c.run, ingest_attempts.c.ok).order_by(ingest_attempts.c.id))
        return [(row.run, row.ok) for row in rows]


@pytest.fixture
def access(db: Database, store: ParquetStore, tmp_path: Path) -> DataAccess:
    return DataAccess(db, store, Settings(data_dir=tmp_path))


def test_a_file_written_in_two_steps_is_ingested_once_complete(access: DataAccess, tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    source = FileSource(folder, watch=False, settle_seconds=1.0)
    results: list[IngestResult] = []
    stop = threading.Event()

    def follow() -> None:
        while not stop.is_set():
            results.extend(follow_once(access.db, access.store, source))
            time.sleep(0.05)

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    try:
        data = npz_bytes()
        with (folder / "run_7.npz").open("wb") as handle:
            handle.write(data[: len(data) // 2])
            handle.flush()
            time.sleep(0.4)  # the follower looks at the half-written file several times meanwhile
            handle.write(data[len(data) // 2 :])
        wait_for(lambda: get_run(access, 7) is not None, "run 7 ingested")
    finally:
        stop.set()
        follower.join(timeout=30)
    assert [(r.run, r.ok, r.errors) for r in results] == [(7, True, [])]
    run = get_run(access, 7)
    assert run is not None and run.status == "ingested" and run.error_count == 0
    wave, count = get_observables(access, ["Det*wave", "Det*count"])
    got = load_value(access, wave, 7)
    assert got is not None and got.tobytes() == WAVEFORM.tobytes()
    got = load_value(access, count, 7)
    assert got is not None and got.dtype == np.uint64 and int(got) == 2**64 - 1
    assert attempts(access.db) == []


def test_a_failed_run_is_retried_when_its_file_changes(access: DataAccess, tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    source = FileSource(folder, watch=False, settle_seconds=1.0)
    path = folder / "run_8.npz"
    data = npz_bytes()
    settled_file(path, data[:1000])  # truncated
    (first,) = follow_once(access.db, access.store, source)
    assert not first.ok
    failed = get_run(access, 8)
    assert failed is not None and failed.status == "failed" and not failed.good
    assert follow_once(access.db, access.store, source) == []  # the same file: not tried again
    settled_file(path, data)
    (again,) = follow_once(access.db, access.store, source)
    assert again.ok
    stored = get_run(access, 8)
    assert stored is not None and stored.status == "ingested" and stored.good
    assert attempts(access.db) == [(8, False), (8, True)]
    assert follow_once(access.db, access.store, source) == []


def test_retries_are_bounded(access: DataAccess, tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    source = FileSource(folder, watch=False, settle_seconds=0.0)
    path = folder / "run_9.npz"
    data = npz_bytes()
    outcomes = []
    for cut in (1000, 2000, 3000, 4000):
        settled_file(path, data[:cut])
        outcomes.append([r.ok for r in follow_once(access.db, access.store, source, retries=2)])
    assert outcomes == [[False], [False], [False], []]  # the first attempt and two retries, then no more
    assert attempts(access.db) == [(9, False)] * 3
