"""Settings read from files: ``ALPACA_DASH_<NAME>_FILE=/run/secrets/x`` gives setting ``<name>`` the file's content.

This is how docker compose (and Kubernetes) hand secrets to a container: as files under ``/run/secrets``, never as
environment variables that ``docker inspect`` and child processes can see.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsError

FILE_SUFFIX = "_FILE"


class FileEnvSettingsSource(PydanticBaseSettingsSource):
    """For every setting whose ``<PREFIX><NAME>_FILE`` variable is set, the content of that file (one trailing
    newline removed, as ``echo`` and editors leave one)."""

    def __init__(self, settings_cls: type[BaseSettings], prefix: str) -> None:
        super().__init__(settings_cls)
        self.prefix = prefix

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        variable = f"{self.prefix}{field_name.upper()}{FILE_SUFFIX}"
        path = os.environ.get(variable)
        if not path:
            return None, field_name, False
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise SettingsError(f"{variable}: cannot read {path}: {exc.strerror or exc}") from None
        return text.removesuffix("\n").removesuffix("\r"), field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, field in self.settings_cls.model_fields.items():
            value, key, _ = self.get_field_value(field, name)
            if value is not None:
                values[key] = value
        return values


def file_variable(name: str, prefix: str = "ALPACA_DASH_") -> str:
    """The variable that names the file a setting is read from: ``ALPACA_DASH_STORAGE_SECRET_FILE``."""
    return f"{prefix}{name.upper()}{FILE_SUFFIX}"
