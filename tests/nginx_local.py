"""nginx.conf moved onto this machine for the tests that run Debian's nginx in front of real app processes."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from polling import TIMEOUT, wait_for

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

#: the upstream line of nginx.conf: Docker's "app" name, re-resolved ("resolve" needs nginx 1.27.3; Debian 12 has 1.22)
_UPSTREAM = re.compile(r"^(?P<indent>\s*)server app:8080 resolve (?P<options>[^;]*);$", re.MULTILINE)


def local_upstream(text: str, ports: Sequence[int]) -> str:
    """nginx.conf with its ``app`` upstream replaced by one ``server 127.0.0.1:PORT`` line per port, with the same
    options (failure counting) as the original line, and without the resolver."""
    match = _UPSTREAM.search(text)
    assert match is not None, "nginx.conf has no 'server app:8080 resolve ...;' upstream line"
    lines = "\n".join(f"{match['indent']}server 127.0.0.1:{port} {match['options']};" for port in ports)
    return re.sub(r"^\s*resolver [^;]*;\n", "", _UPSTREAM.sub(lambda _: lines, text), flags=re.MULTILINE)


def certificate(folder: Path) -> None:
    """A throw-away self-signed certificate for 127.0.0.1 in ``folder``/{fullchain,privkey}.pem."""
    folder.mkdir(parents=True)
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"),
            *("-keyout", str(folder / "privkey.pem"), "-out", str(folder / "fullchain.pem")),
        ],
        check=True,
        capture_output=True,
    )


def adapt_config(
    text: str, tmp: Path, app_ports: Sequence[int], http_port: int, https_port: int, *, extra_location: str = ""
) -> str:
    """nginx.conf with the upstream, certificate, ports, pid, logs and temp paths moved onto this machine; and
    ``extra_location`` (a whole ``location`` block) before ``location /``."""
    temp = "".join(
        f"    {kind}_temp_path {tmp / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    replaced = (
        local_upstream(text, app_ports)
        .replace("/etc/nginx/tls", str(tmp / "tls"))
        .replace("pid /tmp/nginx.pid;", f"pid {tmp / 'nginx.pid'};\nuser root;")
        .replace("access_log /dev/stdout;", f"access_log {tmp / 'access.log'};")
        .replace("error_log /dev/stderr warn;", f"error_log {tmp / 'error.log'} warn;\n{temp}")
        .replace("listen [::]:80;\n", "")
        .replace("listen [::]:443 ssl http2;\n", "")
        .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
        .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
        .replace("        location / {", extra_location + "        location / {", 1)
    )
    assert all(str(port) in replaced for port in app_ports) and str(https_port) in replaced
    return replaced


@contextmanager
def running_nginx(config_text: str, folder: Path, https_port: int) -> Iterator[str]:
    """Debian's nginx on ``config_text`` (folder holds its pid, logs and temp files); yields its https URL."""
    config = folder / "nginx.conf"
    config.write_text(config_text)
    command = [NGINX, "-c", str(config), "-p", str(folder), "-e", str(folder / "error.log")]
    started = subprocess.run(command, capture_output=True, text=True)
    assert started.returncode == 0, started.stderr + (folder / "error.log").read_text()
    try:
        wait_for_port(https_port)
        yield f"https://127.0.0.1:{https_port}"
    finally:
        pid = int((folder / "nginx.pid").read_text())
        subprocess.run([*command, "-s", "quit"], check=False)
        wait_for(lambda: not Path(f"/proc/{pid}").exists(), f"nginx (pid {pid}) gone")


def wait_for_port(port: int, timeout: float = TIMEOUT) -> None:
    def listening() -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    wait_for(listening, f"something listening on {port}", timeout)
