"""The real server that browser tests and benchmarks start: settings passed to it reach its process."""

from __future__ import annotations

from pathlib import Path

from alpaca_dash.timescale.database import Database
from alpaca_dash.web.testserver import run_server


def test_the_server_runs_with_the_settings_it_is_given(db: Database, tmp_path: Path) -> None:
    with run_server(db.url, tmp_path / "site", settings={"ALPACA_DASH_MAX_RANGE": "100000"}) as server:
        environment = Path(f"/proc/{server.process.pid}/environ").read_bytes().split(b"\0")
    assert b"ALPACA_DASH_MAX_RANGE=100000" in environment
    assert f"ALPACA_DASH_DATABASE_URL={db.url}".encode() in environment
