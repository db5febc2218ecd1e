"""Which process holds a CLI job, told apart later from a process that reuses its pid."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any


def this_process() -> dict[str, Any]:
    """What identifies the calling process later: host, pid and (on Linux) its start time, against a reused pid."""
    return {"host": socket.gethostname(), "pid": os.getpid(), "started": start_time(os.getpid())}


def start_time(pid: int) -> str | None:
    """The process's start in clock ticks since boot (``/proc/<pid>/stat``); None where that cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]  # field 22, counted after the command name


def alive(pid: int, started: str | None) -> bool:
    """Whether the process ``this_process`` described (on this host) is still running."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process holds the pid
        return started is None
    return started is None or start_time(pid) in (started, None)
