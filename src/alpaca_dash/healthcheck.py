"""``python -m alpaca_dash.healthcheck``: exit 0 when this container's web app answers ``/healthz`` with 200.

The image's HEALTHCHECK runs it, so the address and port come from the same settings the app was started with
(environment, secret files, config file), not from a number written into the Dockerfile.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

from alpaca_dash.config import Settings

TIMEOUT_SECONDS = 4.0
#: addresses that mean "every interface": the app is then reached on the loopback one
_ANY = {"", "0.0.0.0", "::", "[::]"}


def health_url(settings: Settings) -> str:
    host = "127.0.0.1" if settings.host in _ANY else settings.host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{settings.port}/healthz"


def main() -> int:
    url = health_url(Settings())
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"unhealthy: {url} answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
