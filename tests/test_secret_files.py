"""Secrets from files (``ALPACA_DASH_<NAME>_FILE``, as compose ``secrets:`` mount them) and the image's healthcheck,
which finds the app where its settings say."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from alpaca_dash.config import Settings, effective_settings
from alpaca_dash.timescale.database import Database

from cli_fixtures import assert_one_line_error, run_cli

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("ALPACA_DASH_") and not name.startswith("ALPACA_DASH_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ALPACA_DASH_CONFIG", str(tmp_path / "none.toml"))


def secret(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / "run-secrets" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def test_a_setting_comes_from_the_file_its_variable_names(
    clean_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ALPACA_DASH_STORAGE_SECRET_FILE", str(secret(tmp_path, "storage_secret", "s3cr3t value\n")))
    monkeypatch.setenv("ALPACA_DASH_PORT_FILE", str(secret(tmp_path, "port", "9123")))
    settings = Settings()
    assert settings.storage_secret == "s3cr3t value"  # the newline echo leaves is not part of it
    assert settings.port == 9123
    shown = {env: value for env, value, _ in effective_settings(settings)}
    assert shown["ALPACA_DASH_STORAGE_SECRET"] == "***"
    monkeypatch.setenv("ALPACA_DASH_PORT", "9200")
    assert Settings().port == 9200  # the variable itself wins over the file


def test_an_unreadable_secret_file_is_one_line(
    clean_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-secret"
    monkeypatch.setenv("ALPACA_DASH_STORAGE_SECRET_FILE", str(missing))
    assert_one_line_error(run_cli("config", code=2), f"ALPACA_DASH_STORAGE_SECRET_FILE: cannot read {missing}")


def test_the_database_password_joins_the_url(
    clean_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, postgres_url: str
) -> None:
    monkeypatch.setenv("ALPACA_DASH_DATABASE_URL", postgres_url)
    monkeypatch.setenv("ALPACA_DASH_DATABASE_PASSWORD_FILE", str(secret(tmp_path, "postgres_password", "pa ss'\n")))
    settings = Settings()
    db = Database.from_settings(settings)
    try:
        assert "password='pa ss\\''" in db.url
        assert db.ping()  # the test server trusts local connections, so the password is sent and not needed
    finally:
        db.dispose()
    shown = {env: value for env, value, _ in effective_settings(settings)}
    assert shown["ALPACA_DASH_DATABASE_PASSWORD"] == "***"


def test_the_redis_password_joins_the_url(clean_env: None) -> None:
    settings = Settings(redis_url="redis://cache:6379/3", redis_password="p@ss/word")
    assert settings.redis_url_with_password == "redis://:p%40ss%2Fword@cache:6379/3"
    in_url = Settings(redis_url="redis://:other@cache:6379/3", redis_password="p@ss")
    assert in_url.redis_url_with_password == "redis://:other@cache:6379/3"
    assert Settings(redis_url="redis://cache:6379/3").redis_url_with_password == "redis://cache:6379/3"


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def health_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def healthcheck(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("ALPACA_DASH_")}
    return subprocess.run(
        [sys.executable, "-m", "alpaca_dash.healthcheck"],
        env={**inherited, "PYTHONPATH": str(SRC), "ALPACA_DASH_CONFIG": str(tmp_path / "none.toml"), **env},
        capture_output=True,
        text=True,
    )


def test_the_healthcheck_asks_the_port_of_the_settings(health_port: int, tmp_path: Path) -> None:
    assert healthcheck(tmp_path, ALPACA_DASH_HOST="0.0.0.0", ALPACA_DASH_PORT=str(health_port)).returncode == 0
    config = tmp_path / "alpaca-dash.toml"
    config.write_text(f"port = {health_port}\n")
    assert healthcheck(tmp_path, ALPACA_DASH_CONFIG=str(config)).returncode == 0
    wrong = healthcheck(tmp_path, ALPACA_DASH_PORT="1")
    assert wrong.returncode == 1
    assert "unhealthy: http://127.0.0.1:1/healthz" in wrong.stderr


def test_the_healthcheck_fails_on_an_unhealthy_answer(
    health_port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_Health, "status", 503)
    failed = healthcheck(tmp_path, ALPACA_DASH_PORT=str(health_port))
    assert failed.returncode == 1
    assert "answered 503" in failed.stderr
