"""Start the real web server in a subprocess on a free port, for browser tests and benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class RunningServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


@contextmanager
def run_server(
    database_url: str, data_dir: Path, *, timeout: float = 60.0, settings: Mapping[str, str] | None = None
) -> Iterator[RunningServer]:
    """Serve ``python -m alpaca_dash.web`` against ``database_url`` until the block ends.

    :param settings: more ``ALPACA_DASH_*`` variables for the server (``{"ALPACA_DASH_MAX_RANGE": "100000"}``).

    :raises RuntimeError: when the server exits or does not answer ``/healthz`` within ``timeout`` seconds,
        with the end of its log.
    """
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    # NiceGUI switches to its test mode when it sees pytest's variables; the server must run as in production
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "NICEGUI_"))}
    env = {
        **inherited,
        "ALPACA_DASH_DATABASE_URL": database_url,
        "ALPACA_DASH_DATA_DIR": str(data_dir),
        "ALPACA_DASH_PARQUET_DIR": str(data_dir / "parquet"),
        "ALPACA_DASH_PORT": str(port),
        "ALPACA_DASH_HOST": "127.0.0.1",
        "ALPACA_DASH_STORAGE_SECRET": "browser-test-secret",
        "ALPACA_DASH_LOG_LEVEL": "WARNING",
        "NICEGUI_STORAGE_PATH": str(data_dir / "nicegui"),
        **(settings or {}),
    }
    log = data_dir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "alpaca_dash.web"], env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, process, log, timeout)
        yield RunningServer(url, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the web server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the web server did not become healthy in {timeout} s:\n{log.read_text()[-3000:]}")
