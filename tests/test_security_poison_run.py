"""One poison run file between two good ones: `alpaca-dash ingest` and `alpaca-dash follow` (real processes) store
both good runs and record the poison run as failed with its reason, or store it without what it cannot hold."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest
from sqlalchemy import text

from alpaca_dash.timescale.database import Database

GOOD = "Batman/acq_0/counter"


def _good(path: Path, run: int) -> None:
    with h5py.File(path, "w") as h5:
        h5.create_dataset(GOOD, data=np.int64(run))
        h5.attrs["run_start"] = "2026-05-01T10:00:00+00:00"


def _long_name(path: Path) -> None:
    with h5py.File(path, "w") as h5:
        h5.create_dataset(GOOD, data=np.int64(2))
        letters = np.random.default_rng(1).choice(list("abcdefghijklmnopqrstuvwxyz0123456789"), 3000)
        h5.create_dataset("".join(letters), data=np.float64(1.5))  # random: PostgreSQL cannot compress it to fit


def _nul_unit(path: Path) -> None:
    with h5py.File(path, "w") as h5:
        h5.create_dataset(GOOD, data=np.int64(2)).attrs["unit"] = np.bytes_(b"m\x00m")


def _nul_in_a_name(path: Path) -> None:
    with h5py.File(path, "w") as h5:
        h5.create_dataset(GOOD, data=np.int64(2))
        h5.create_dataset("bad\x01name", data=np.float64(1.0))


def _not_hdf5(path: Path) -> None:
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 100)  # the signature, then nothing of a file


POISONS: dict[str, Callable[[Path], None]] = {
    "3000-character name": _long_name,
    "NUL in a unit": _nul_unit,
    "control character in a name": _nul_in_a_name,
    "broken file": _not_hdf5,
}


@pytest.fixture
def folder(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    runs = tmp_path / "runs"
    runs.mkdir()
    _good(runs / "run_1.h5", 1)
    POISONS[request.param](runs / "run_2.h5")
    _good(runs / "run_3.h5", 3)
    return runs


def _env(url: str, folder: Path, tmp_path: Path) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("ALPACA_DASH_") or "_TEST_" in k}
    return {
        **inherited,
        "ALPACA_DASH_DATABASE_URL": url,
        "ALPACA_DASH_DATA_DIR": str(tmp_path / "data"),
        "ALPACA_DASH_SOURCE": "files",
        "ALPACA_DASH_SOURCE_PATH": str(folder),
        "ALPACA_DASH_FOLLOW_INTERVAL": "0.2",
        "ALPACA_DASH_CONFIG": str(tmp_path / "no-config.toml"),
    }


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from alpaca_dash.cli import main; main()", *args]


def _runs(db: Database) -> dict[int, str]:
    with db.begin() as conn:
        rows = conn.execute(text("SELECT run, status FROM runs ORDER BY run"))
        return {int(row[0]): str(row[1]) for row in rows}


def _assert_poison_handled(db: Database) -> None:
    runs = _runs(db)
    assert runs[1] == "ingested" and runs[3] == "ingested", runs
    with db.begin() as conn:
        good = conn.execute(text("SELECT count(*) FROM observables WHERE name = 'Batman*acq_0*counter'")).scalar()
        errors = conn.execute(text("SELECT observable, message FROM ingest_errors WHERE run = 2")).all()
    assert good == 1
    if runs[2] == "failed":  # the whole run could not be stored: the reason is recorded
        assert errors and all(message for _observable, message in errors)
    else:  # stored without what it cannot hold, each refusal recorded
        assert runs[2] == "ingested"


@pytest.mark.parametrize("folder", list(POISONS), indirect=True)
def test_ingest_stores_the_good_runs_around_a_poison_run(
    folder: Path, db: Database, fresh_schema_url: str, tmp_path: Path
) -> None:
    result = subprocess.run(
        _cli("ingest", "--runs", "1-3"), env=_env(fresh_schema_url, folder, tmp_path), capture_output=True, text=True
    )
    assert "Traceback" not in result.stderr, result.stderr
    _assert_poison_handled(db)


@pytest.mark.parametrize("folder", list(POISONS), indirect=True)
def test_follow_goes_on_past_a_poison_run(folder: Path, db: Database, fresh_schema_url: str, tmp_path: Path) -> None:
    log = tmp_path / "follow.log"
    with log.open("wb") as out:
        process = subprocess.Popen(_cli("follow"), env=_env(fresh_schema_url, folder, tmp_path), stdout=out, stderr=out)
    try:
        _wait_for_run(db, 3, process, log)
        _good(folder / "run_4.h5", 4)  # and it keeps following on the ticks after it
        _wait_for_run(db, 4, process, log)
    finally:
        process.terminate()
        process.wait(timeout=20)
    _assert_poison_handled(db)


def _wait_for_run(db: Database, run: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while _runs(db).get(run) != "ingested":
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"run {run} not ingested:\n{log.read_text()[-3000:]}"
        time.sleep(0.2)
