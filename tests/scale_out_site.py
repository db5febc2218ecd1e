"""The scale-out layout of DESIGN §9 on one machine, for the test and the P14 benchmark: two ``serve --no-ingest``
instances behind Debian's nginx with nginx.conf's sticky upstream, NiceGUI's storage in the machine's Redis, one
``follow`` worker ingesting simulated runs, and the Parquet sidecar on moto's S3 server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis
from polling import wait_for
from pyarrow import fs

from alpaca_dash.config import Settings
from alpaca_dash.content.spec import DashboardSpec, PanelSpec
from alpaca_dash.parquet_cache.object_store import ObjectStoreParquetStore
from alpaca_dash.queries import dashboards, users
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.sources.simulated import ELENA
from alpaca_dash.timescale.database import Database

from nginx_local import adapt_config, certificate, running_nginx, wait_for_port

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
REDIS_URL = "redis://127.0.0.1:6379/13"  # ops' own database number on the machine's Redis
BUCKET = "alpaca-scale-out"
PASSWORD = "correct horse battery"
USER = "shifter"
#: every response says which instance answered (test only: not in nginx.conf)
UPSTREAM_HEADER = "X-Alpaca-Upstream"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Instance:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


@dataclass
class ScaleOutSite:
    url: str
    instances: list[Instance]
    worker: subprocess.Popen[bytes]
    access: DataAccess
    dashboard_id: int
    logs: list[Path] = field(default_factory=list)

    def instance_on(self, upstream: str) -> Instance:
        """The instance whose address nginx gave in the upstream header."""
        port = int(upstream.rsplit(":", 1)[1].split(",")[0])
        return next(i for i in self.instances if i.port == port)

    def tail(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in self.logs if log.exists())


def _child_env(**extra: str) -> dict[str, str]:
    inherited = {
        k: v for k, v in os.environ.items() if not k.startswith(("ALPACA_DASH_", "PYTEST_", "NICEGUI_", "AWS_"))
    }
    return {**inherited, "PYTHONPATH": str(SRC), **extra}


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "alpaca_dash", *args], env=env, stdout=out, stderr=out)


@contextmanager
def moto_s3() -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextmanager
def scale_out_site(
    database_url: str, tmp: Path, *, run_seconds: float = 3.0, log_level: str = "INFO"
) -> Iterator[ScaleOutSite]:
    """The whole layout, with one user and a dashboard of one stat panel; everything is stopped afterwards."""
    with ExitStack() as stack:
        endpoint = stack.enter_context(moto_s3())
        admin = fs.S3FileSystem(
            endpoint_override=endpoint.removeprefix("http://"),
            scheme="http",
            access_key="test",
            secret_key="test",
            allow_bucket_creation=True,
        )
        admin.create_dir(BUCKET)
        cache = redis.Redis.from_url(REDIS_URL)
        cache.flushdb()
        stack.callback(cache.close)
        stack.callback(cache.flushdb)

        db = Database(database_url)
        db.migrate()
        access = DataAccess(db, open_store_for(endpoint), Settings(database_url=database_url, data_dir=tmp))
        stack.callback(db.dispose)
        user = users.create_user(access, USER, PASSWORD, users.Role.EDITOR)
        spec = DashboardSpec(
            panels=[PanelSpec(id="a", type="stat", title="Offset", observables=[f"{ELENA}*H_offset_mm"])]
        )
        made = dashboards.create_dashboard(access, user.id, "Scale-out", spec)

        common = {
            "ALPACA_DASH_DATABASE_URL": database_url,
            "ALPACA_DASH_CONFIG": str(tmp / "none.toml"),
            "ALPACA_DASH_PARQUET_S3_URI": f"s3://{BUCKET}/sidecar",
            "ALPACA_DASH_PARQUET_S3_ENDPOINT": endpoint,
            "ALPACA_DASH_PARQUET_S3_ACCESS_KEY": "test",
            "ALPACA_DASH_PARQUET_S3_SECRET_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
            "ALPACA_DASH_LOG_LEVEL": log_level,
        }
        logs: list[Path] = []
        worker_log = tmp / "worker.log"
        logs.append(worker_log)
        worker_env = {
            **common,
            "ALPACA_DASH_DATA_DIR": str(tmp / "worker"),
            "ALPACA_DASH_SIMULATED_HISTORY": "2",
            "ALPACA_DASH_SIMULATED_RUN_SECONDS": str(run_seconds),
            "ALPACA_DASH_SIMULATED_IMAGE_SIZE": "32",
            "ALPACA_DASH_FOLLOW_INTERVAL": "0.5",
        }
        worker = _start(["follow"], _child_env(**worker_env), worker_log)
        stack.callback(_stop, worker)

        instances = []
        for number in (1, 2):
            port = free_port()
            log = tmp / f"web{number}.log"
            logs.append(log)
            env = {
                **common,
                "ALPACA_DASH_DATA_DIR": str(tmp / f"web{number}"),
                "ALPACA_DASH_PORT": str(port),
                "ALPACA_DASH_REDIS_URL": REDIS_URL,
                "ALPACA_DASH_STORAGE_SECRET": "one secret shared by every instance",
                "ALPACA_DASH_PRODUCTION": "true",
                "ALPACA_DASH_NODE_MODULES": str(ROOT / "node_modules"),
            }
            instance = Instance(port, _start(["serve", "--no-ingest"], _child_env(**env), log), log)
            stack.callback(_stop, instance.process)
            instances.append(instance)
        for instance in instances:
            _wait_for_http(instance, logs)

        folder = tmp / "nginx"
        folder.mkdir()
        certificate(folder / "tls")
        https_port = free_port()
        ports = [i.port for i in instances]
        text = adapt_config((ROOT / "nginx.conf").read_text(), folder, ports, free_port(), https_port)
        cookie = "        add_header Set-Cookie $route_cookie;"
        text = text.replace(cookie, f"{cookie}\n        add_header {UPSTREAM_HEADER} $upstream_addr always;")
        url = stack.enter_context(running_nginx(text, folder, https_port))
        logs.append(folder / "error.log")
        yield ScaleOutSite(url, instances, worker, access, made.id, logs)


def open_store_for(endpoint: str) -> ObjectStoreParquetStore:
    return ObjectStoreParquetStore(f"s3://{BUCKET}/sidecar", endpoint=endpoint, access_key="test", secret_key="test")


def _wait_for_http(instance: Instance, logs: list[Path], timeout: float = 90.0) -> None:
    def listening() -> bool:
        if instance.process.poll() is not None:
            raise AssertionError(f"web instance on {instance.port} exited:\n{instance.log.read_text()[-3000:]}")
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", instance.port)) == 0

    wait_for(
        listening, lambda: f"web instance on {instance.port} listening:\n{instance.log.read_text()[-3000:]}", timeout
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
