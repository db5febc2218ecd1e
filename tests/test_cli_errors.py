"""What the command says when it is given something wrong: one line, the right exit status, nothing changed.

Also the version, ``python -m alpaca_dash``, read-only commands on a database without the schema, and log lines
printed while a progress bar is live.
"""

from __future__ import annotations

import logging
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import psycopg
import pytest

from alpaca_dash import __version__
from alpaca_dash.cli_common import SourceChoice
from alpaca_dash.config import SourceKind
from alpaca_dash.queries.users import Role
from alpaca_dash.sources.simulated import ELENA
from alpaca_dash.user_commands import RoleChoice

from cli_fixtures import assert_one_line_error, run_cli

SCALAR = f"{ELENA}*H_offset_mm"
SRC = Path(__file__).resolve().parents[1] / "src"

# (environment, arguments, exit status, fragment of the one line). Settings errors exit 2, like usage errors.
BAD_INPUT = [
    ({"ALPACA_DASH_DATABASE_URL": "garbage"}, ["runs"], 2, "bad setting database_url"),
    ({"ALPACA_DASH_DATABASE_URL": "mysql://x@localhost/db"}, ["observables"], 2, "expected postgresql://"),
    ({"ALPACA_DASH_DATABASE_URL": "postgres://u:hunter2@[::1"}, ["db", "init"], 2, "IPv6"),
    ({"ALPACA_DASH_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none"}, ["runs"], 1, "database unavailable"),
    ({"ALPACA_DASH_PORT": "abc"}, ["runs"], 2, "bad setting port"),
    ({"ALPACA_DASH_LOG_LEVEL": "loud"}, ["runs"], 2, "bad setting log_level"),
    ({"ALPACA_DASH_TIMESCALE": "maybe"}, ["db", "init"], 2, "bad setting timescale"),
    ({"ALPACA_DASH_REDIS_URL": "localhost:6379"}, ["serve"], 2, "bad setting redis_url"),
    ({"ALPACA_DASH_PARQUET_S3_URI": "bucket/prefix"}, ["ingest", "--runs", "1"], 2, "expected s3://bucket"),
    ({"ALPACA_DASH_PARQUET_S3_ENDPOINT": "minio:9000"}, ["runs"], 2, "expected http(s)://"),
    ({"ALPACA_DASH_TRUSTED_PROXIES": "10.0.0.0/8"}, ["runs"], 2, "trusted_proxies"),
    ({"ALPACA_DASH_SIMULATED_RUN_SECONDS": "0"}, ["demo"], 2, "simulated_run_seconds"),
    ({}, ["runs", "--limit", "-1"], 2, "Invalid value for '--limit'"),
    ({}, ["runs", "--limit", "many"], 2, "Invalid value for '--limit'"),
    ({}, ["errors", "--run", "-5"], 2, "Invalid value for '--run'"),
    ({}, ["reconcile", "--min-age", "-1"], 2, "Invalid value for '--min-age'"),
    ({}, ["demo", "--port", "0"], 2, "Invalid value for '--port'"),
    ({}, ["ingest"], 2, "Missing option '--runs'"),
    ({}, ["ingest", "--runs", "1", "--source", "nope"], 2, "'nope' is not one of 'simulated', 'files', 'alpaca'"),
    ({}, ["ingest", "--runs", "last week"], 1, "bad run range 'last week'"),
    ({}, ["ingest", "--runs", "99999999999999999999"], 1, "run"),
    ({}, ["export", "-O", SCALAR, "--runs", "1"], 2, "Missing option '-o' / '--output'"),
    ({}, ["users", "add", "bob", "--role", "superuser"], 2, "'superuser' is not one of 'viewer', 'editor', 'admin'"),
    ({}, ["nosuch"], 2, "No such command 'nosuch'"),
    ({}, ["runs", "--colour"], 2, "No such option '--colour'"),
]


@pytest.mark.parametrize(("env", "args", "code", "fragment"), BAD_INPUT, ids=lambda v: str(v)[:40])
def test_bad_input_is_one_line(
    cli_env: None, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], args: list[str], code: int, fragment: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = run_cli(*args, code=code, input="")
    assert_one_line_error(result, fragment)
    assert "Traceback" not in result.output
    assert "Password" not in result.output  # refused before anything is asked
    assert "hunter2" not in result.output


def test_bad_config_file_is_one_line(cli_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "alpaca-dash.toml"
    config.write_text('port = "8080\n')
    monkeypatch.setenv("ALPACA_DASH_CONFIG", str(config))
    assert_one_line_error(run_cli("runs", code=2), f"bad config file {config}")


@pytest.mark.parametrize(
    "command",
    [["runs"], ["observables"], ["errors"], ["reconcile"], ["users", "list"], ["export", "-O", "x", "--runs", "1"]],
    ids=" ".join,
)
def test_read_only_commands_never_create_the_schema(
    cli_env: None, fresh_schema_url: str, tmp_path: Path, command: list[str]
) -> None:
    args = [*command, "-o", str(tmp_path / "x.parquet")] if command[0] == "export" else command
    assert_one_line_error(run_cli(*args, code=1), "no Alpaca Dashboard schema yet: run 'alpaca-dash db init'")
    with psycopg.connect(fresh_schema_url) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()").fetchone()
    assert tables == (0,)
    assert not (tmp_path / "x.parquet").exists()


def test_role_is_checked_before_the_password_is_asked(cli_env: None) -> None:
    refused = run_cli("users", "add", "carol", "--role", "owner", code=2, input="long-enough\nlong-enough\n")
    assert "Password" not in refused.output
    run_cli("db", "init")
    created = run_cli("users", "add", "carol", "--role", "admin", input="long-enough\nlong-enough\n")
    assert "Password" in created.output
    assert "created admin carol" in created.stdout


def test_empty_export_says_so_and_fails(cli_env: None, tmp_path: Path) -> None:
    run_cli("db", "init")
    run_cli("ingest", "--runs", "390000")
    out = tmp_path / "x.parquet"
    result = run_cli("export", "-O", SCALAR, "--runs", "390100-390200", "-o", str(out), code=1)
    assert_one_line_error(result, "no stored runs in 390100-390200", "nothing written")
    assert list(tmp_path.glob("x.parquet*")) == []


def test_choices_match_the_settings_and_roles() -> None:
    assert get_args(SourceChoice) == get_args(SourceKind)
    assert list(get_args(RoleChoice)) == [role.value for role in Role]


def _child_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ALPACA_DASH_", "PYTEST_", "NICEGUI_")) or k.startswith("ALPACA_DASH_TEST_")
    }  # NiceGUI takes PYTEST_* for its own test mode
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH", "")]))
    return {**env, **extra}


def test_version_and_python_dash_m(cli_env: None) -> None:
    assert run_cli("--version").stdout.strip() == f"alpaca-dash {__version__}"
    child = subprocess.run(
        [sys.executable, "-m", "alpaca_dash", "--version"], capture_output=True, text=True, env=_child_env(), check=True
    )
    assert child.stdout.strip() == f"alpaca-dash {__version__}"
    helped = subprocess.run([sys.executable, "-m", "alpaca_dash", "runs", "--help"], capture_output=True, text=True)
    assert "Usage: alpaca-dash runs [OPTIONS]" in helped.stdout


def test_boolean_flags_show_no_type() -> None:
    shown = run_cli("observables", "--help").stdout
    assert re.search(r"^\s+--tree\s+Show the hierarchy", shown, re.MULTILINE), shown
    assert re.search(r"^\s+--help\s+Show this message", shown, re.MULTILINE), shown
    assert "<bool>" not in shown
    assert "--ingest / --no-ingest" in run_cli("serve", "--help").stdout


def test_log_lines_stay_above_the_progress_bar(fresh_schema_url: str, tmp_path: Path) -> None:
    """On a terminal, each log line the ingest writes while its bar is live starts a line of its own."""
    env = _child_env(
        ALPACA_DASH_DATABASE_URL=fresh_schema_url,
        ALPACA_DASH_DATA_DIR=str(tmp_path / "data"),
        ALPACA_DASH_CONFIG=str(tmp_path / "none.toml"),
        ALPACA_DASH_SIMULATED_IMAGE_SIZE="32",
        ALPACA_DASH_LOG_LEVEL="INFO",
        COLUMNS="100",
        TERM="xterm",
    )
    subprocess.run([sys.executable, "-m", "alpaca_dash", "db", "init"], env=env, check=True, capture_output=True)
    leader, follower = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "alpaca_dash", "ingest", "--runs", "390000-390003"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=follower,
    )
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        try:
            chunk = os.read(leader, 65536) if ready else b""
        except OSError:  # the child closed the terminal
            chunk = b""
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert child.wait(timeout=60) == 0
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode(errors="replace"))
    pieces = [piece for piece in re.split(r"[\r\n]+", screen) if piece.strip()]
    logged = [piece for piece in pieces if "alpaca_dash.pipeline.ingest: run 39000" in piece]
    assert len(logged) == 4, pieces
    assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO ", piece) for piece in logged), logged
    assert any("━" in piece for piece in pieces), pieces  # the bar was drawn


@pytest.fixture
def embedded_dir() -> Iterator[Path]:
    """A data folder outside pytest's own: the embedded server runs as another user when the tests run as root, and
    every pytest session resets its folder to mode 0700."""
    folder = Path(tempfile.mkdtemp(prefix="alpaca-dash-cli-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        yield folder / "data"
    finally:
        from alpaca_dash.timescale.embedded import stop_embedded

        stop_embedded(folder / "data")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
def test_demo_ctrl_c_stops_what_it_says(tmp_path: Path, embedded_dir: Path) -> None:
    """The demo on its own embedded database: Ctrl-C stops the dashboard, the scheduler and that database."""
    from alpaca_dash.timescale.embedded import embedded_running
    from alpaca_dash.web.testserver import free_port

    data_dir = embedded_dir
    port = free_port()
    env = _child_env(
        ALPACA_DASH_DATA_DIR=str(data_dir),
        ALPACA_DASH_CONFIG=str(tmp_path / "none.toml"),
        ALPACA_DASH_SIMULATED_IMAGE_SIZE="32",
        ALPACA_DASH_SIMULATED_HISTORY="2",
        ALPACA_DASH_NODE_MODULES=str(Path(__file__).resolve().parents[1] / "node_modules"),
    )
    child = subprocess.Popen(
        [sys.executable, "-m", "alpaca_dash", "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # a process group of its own, as a terminal's foreground command has
    )
    output: list[str] = []
    assert child.stdout is not None
    stream = child.stdout
    reader = threading.Thread(target=lambda: output.extend(iter(stream.readline, "")), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 90
        while True:  # the dashboard answers: Ctrl-C now stops a running server, not one starting up
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as page:
                    assert page.status == 200
                break
            except OSError:
                assert child.poll() is None and time.monotonic() < deadline, "".join(output)
                time.sleep(0.2)
        banner = "".join(output)
        assert "Ctrl-C stops the dashboard, the simulation and the embedded database" in banner, banner
        assert embedded_running(data_dir)
        os.killpg(child.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole group, the checks' process too
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        reader.join(timeout=10)
        stream.close()
    rest = "".join(output)
    assert child.returncode in (0, 130), rest  # 130: the conventional status after Ctrl-C
    assert "ingest scheduler stopped" in rest
    assert "Traceback" not in rest, rest
    assert not embedded_running(data_dir)


@pytest.mark.slow
def test_db_stop_stops_the_embedded_server(
    cli_env: None, monkeypatch: pytest.MonkeyPatch, embedded_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from alpaca_dash.timescale.embedded import embedded_running, start_embedded

    data_dir = embedded_dir
    monkeypatch.setenv("ALPACA_DASH_DATA_DIR", str(data_dir))
    monkeypatch.delenv("ALPACA_DASH_DATABASE_URL")
    url = start_embedded(data_dir)
    with caplog.at_level(logging.INFO, logger="alpaca_dash.timescale.embedded"):
        caplog.clear()  # the first start's line, captured when an earlier command set INFO on the root logger
        assert start_embedded(data_dir) == url  # the running server, reused without saying it starts
    assert "starting" not in caplog.text
    assert embedded_running(data_dir)
    assert "stopped the embedded PostgreSQL" in run_cli("db", "stop").stdout
    assert not embedded_running(data_dir)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2).close()
    assert "no embedded PostgreSQL is running" in run_cli("db", "stop").stdout


def test_the_command_modules_import_no_cycle_and_nothing_heavy() -> None:
    """``cli`` registers the command modules; none of them imports ``cli`` back, and loading them and printing
    ``alpaca-dash --help`` loads neither the settings, the storage, numpy nor the web layer, nor typer or pydantic
    (typer 0.29 parses options with pydantic, imported by every command that runs)."""
    heavy = (
        "typer",
        "pydantic",
        "pydantic_settings",
        "sqlalchemy",
        "psycopg",
        "pyarrow",
        "numpy",
        "nicegui",
        "alpaca_dash.config",
    )
    probe = (
        "import atexit, sys\n"
        "import alpaca_dash.cli_common, alpaca_dash.db_commands\n"
        "import alpaca_dash.user_commands, alpaca_dash.serve_commands\n"
        "before = 'alpaca_dash.cli' in sys.modules\n"
        f"atexit.register(lambda: print(before, sorted(m for m in {heavy!r} if m in sys.modules)))\n"
        "from alpaca_dash.cli import main\n"
        "main(['--help'])\n"
    )
    child = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=_child_env(), check=True)
    assert "Usage: alpaca-dash [OPTIONS] COMMAND" in child.stdout, child.stdout
    assert child.stdout.strip().splitlines()[-1] == "False []", child.stdout


def test_a_one_run_ingest_loads_nothing_it_does_not_use(fresh_schema_url: str, tmp_path: Path) -> None:
    """A one-run ``ingest`` process with no quality checks and no contact points stores its run without loading
    SQLAlchemy (the read side's), pydantic (the checks' and panels' models), scipy (the checks' tests), an HTTP or SMTP
    client (the notifier's), argon2 (passwords) or the web layer: each of them cost that process 0.02-0.7 s of
    start-up (docs/performance.md, cli); nor typer or pydantic-settings, which are no longer used at all."""
    unused = (
        *("sqlalchemy", "pydantic", "scipy", "httpx", "smtplib", "argon2", "typer", "pydantic_settings"),
        *("nicegui", "fastapi", "starlette", "pandas", "polars", "xarray"),
    )
    env = _child_env(
        ALPACA_DASH_DATABASE_URL=fresh_schema_url,
        ALPACA_DASH_DATA_DIR=str(tmp_path / "data"),
        ALPACA_DASH_CONFIG=str(tmp_path / "none.toml"),
        ALPACA_DASH_SIMULATED_IMAGE_SIZE="32",
    )
    subprocess.run([sys.executable, "-m", "alpaca_dash", "db", "init"], env=env, check=True, capture_output=True)
    probe = (
        "import atexit, sys\n"
        f"atexit.register(lambda: print('loaded:', sorted(m for m in {unused!r} if m in sys.modules)))\n"
        "from alpaca_dash.cli import main\n"
        "main()\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", probe, "ingest", "--runs", "390001"], capture_output=True, text=True, env=env
    )
    assert child.returncode == 0, child.stderr
    assert "1 runs ingested, 0 failed" in child.stdout, child.stdout
    assert child.stdout.strip().splitlines()[-1] == "loaded: []", child.stdout
