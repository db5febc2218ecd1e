"""nginx.conf moved onto this machine for the tests that run Debian's nginx in front of real app processes."""

from __future__ import annotations

import re
from collections.abc import Sequence

#: the upstream line of nginx.conf: Docker's "app" name, re-resolved ("resolve" needs nginx 1.27.3; Debian 12 has 1.22)
_UPSTREAM = re.compile(r"^(?P<indent>\s*)server app:8080 resolve (?P<options>[^;]*);$", re.MULTILINE)


def local_upstream(text: str, ports: Sequence[int]) -> str:
    """nginx.conf with its ``app`` upstream replaced by one ``server 127.0.0.1:PORT`` line per port, with the same
    options (failure counting) as the original line, and without the resolver."""
    match = _UPSTREAM.search(text)
    assert match is not None, "nginx.conf has no 'server app:8080 resolve ...;' upstream line"
    lines = "\n".join(f"{match['indent']}server 127.0.0.1:{port} {match['options']};" for port in ports)
    return re.sub(r"^\s*resolver [^;]*;\n", "", _UPSTREAM.sub(lambda _: lines, text), flags=re.MULTILINE)
