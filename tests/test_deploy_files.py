"""The deployment files, validated as far as a machine without a Docker engine allows."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def nginx_config(tmp_path: Path) -> Path:
    """nginx.conf with the compose host name and the certificate paths pointed at this machine."""
    tls = tmp_path / "tls"
    tls.mkdir()
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(tls / "privkey.pem"),
            "-out",
            str(tls / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )
    text = (ROOT / "nginx.conf").read_text()
    text = text.replace("server app:8080", "server 127.0.0.1:8080").replace("/etc/nginx/tls", str(tls))
    config = tmp_path / "nginx.conf"
    config.write_text(text)
    return config


@pytest.mark.skipif(shutil.which("nginx") is None, reason="Debian's nginx is installed by .ci/run")
def test_nginx_accepts_the_configuration(nginx_config: Path) -> None:
    result = subprocess.run(["nginx", "-t", "-c", str(nginx_config)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def test_nginx_overwrites_forwarded_headers_and_checks_websocket_origins() -> None:
    text = (ROOT / "nginx.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in text  # not $proxy_add_x_forwarded_for
    assert "$proxy_add_x_forwarded_for" not in text
    websocket = text[text.index("location /_nicegui_ws/") :]
    assert "return 403" in websocket and "proxy_read_timeout 1h" in websocket
    assert "hash $route_key consistent" in text


def test_the_image_runs_as_a_user_with_a_healthcheck() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = [line for line in text.splitlines() if line.startswith("FROM ")]
    assert len(stages) == 3 and "AS browser-libs" in stages[0] and "AS wheels" in stages[1]
    assert "USER alpaca" in text and "HEALTHCHECK" in text and "/healthz" in text
    assert "npm ci" in text and "package-lock.json" in text


DCLINT = ROOT / "node_modules" / ".bin" / "dclint"


def run_dclint(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(DCLINT), "--color", "false", *map(str, files)], capture_output=True, text=True, cwd=ROOT)


def test_compose_files_follow_the_compose_specification() -> None:
    result = run_dclint(ROOT / "docker-compose.yml", ROOT / "docker-compose.scaleout.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stdout


def test_the_compose_check_catches_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  app:\n    image: alpaca-dash:0.1.0\n    restart: sometimes\n    bogus: 1\n")
    result = run_dclint(broken)
    assert result.returncode != 0 and "invalid-schema" in result.stdout
