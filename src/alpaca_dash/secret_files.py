"""Settings read from files: ``ALPACA_DASH_<NAME>_FILE=/run/secrets/x`` gives setting ``<name>`` the file's content.

This is how docker compose (and Kubernetes) hand secrets to a container: as files under ``/run/secrets``, never as
environment variables that ``docker inspect`` and child processes can see.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from alpaca_dash.setting_values import SettingsError

FILE_SUFFIX = "_FILE"


def read_secret_files(names: Iterable[str], prefix: str = "ALPACA_DASH_") -> dict[str, str]:
    """For every setting whose ``<PREFIX><NAME>_FILE`` variable is set, the content of that file (one trailing
    newline removed, as ``echo`` and editors leave one). The content is taken as it is, never as JSON.

    :raises SettingsError: a named file cannot be read.
    """
    values: dict[str, str] = {}
    for name in names:
        variable = file_variable(name, prefix)
        path = os.environ.get(variable)
        if not path:
            continue
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise SettingsError(f"{variable}: cannot read {path}: {exc.strerror or exc}") from None
        values[name] = text.removesuffix("\n").removesuffix("\r")
    return values


def file_variable(name: str, prefix: str = "ALPACA_DASH_") -> str:
    """The variable that names the file a setting is read from: ``ALPACA_DASH_STORAGE_SECRET_FILE``."""
    return f"{prefix}{name.upper()}{FILE_SUFFIX}"
