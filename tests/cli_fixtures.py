"""Running the real ``alpaca-dash`` command in-process with click's CliRunner, in a clean environment."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from alpaca_dash.cli import app


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, fresh_schema_url: str, data_dir: Path, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("ALPACA_DASH_") and not name.startswith("ALPACA_DASH_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ALPACA_DASH_DATABASE_URL", fresh_schema_url)
    monkeypatch.setenv("ALPACA_DASH_DATA_DIR", str(data_dir))
    monkeypatch.setenv("ALPACA_DASH_SIMULATED_IMAGE_SIZE", "32")
    monkeypatch.setenv("ALPACA_DASH_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("COLUMNS", "400")  # rich would otherwise fold tables at 80 columns


def run_cli(*args: str, code: int = 0, input: str | None = None) -> Result:
    """Run the command in-process; a crash (any exception other than an exit) fails the test with its traceback."""
    result = CliRunner().invoke(app, list(args), prog_name="alpaca-dash", input=input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == code, f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (DEBUG|INFO|WARNING) ")


def assert_one_line_error(result: Result, *fragments: str) -> None:
    """Exactly one line on stderr besides log lines (which the log level decides), and it is the error."""
    lines = [line for line in result.stderr.strip().splitlines() if line.strip() and not LOG_LINE.match(line)]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]
