"""A setting's value from what a source gave: the text of a variable or a file, a TOML value, a keyword.

Lenient as pydantic's lax mode, which read the settings before (issue 16: pydantic's model cost every command 0.06 s
of start-up): ``"9_000"`` is an int, ``"on"`` a bool, ``"1e1"`` a float, a string a path. The messages are pydantic's
wording, which people may have met.
"""

from __future__ import annotations

import enum
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

_TRUE = {"1", "on", "t", "true", "y", "yes"}
_FALSE = {"0", "off", "f", "false", "n", "no"}
_WHOLE = re.compile(r"(?P<digits>[+-]?\d+(?:_\d+)*)(?:\.0*)?")


class SettingsError(ValueError):
    """A setting that cannot be read at all: a list or mapping variable that is not JSON, an unreadable file."""


class BadValue(ValueError):
    """A value that is not of its setting's type or outside its bounds.

    :param where: the path inside the setting (``"0"`` for a list's first item), empty for the setting itself.
    """

    def __init__(self, reason: str, where: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.where = where


@dataclass(frozen=True)
class Bounds:
    """Limits of a number setting (None: open)."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None

    def check(self, value: float) -> None:
        if self.ge is not None and not value >= self.ge:
            raise BadValue(f"Input should be greater than or equal to {self.ge:g}")
        if self.gt is not None and not value > self.gt:
            raise BadValue(f"Input should be greater than {self.gt:g}")
        if self.le is not None and not value <= self.le:
            raise BadValue(f"Input should be less than or equal to {self.le:g}")


def convert(kind: Any, value: Any) -> Any:
    """``value`` as a ``kind`` (a type hint: str, int, float, bool, Path, an enum, a Literal, ``X | None``,
    ``list[X]``, ``dict[str, X]``).

    :raises BadValue: it cannot be one.
    """
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        options = [option for option in get_args(kind) if option is not type(None)]
        if value is None and len(options) < len(get_args(kind)):
            return None
        return convert(options[0], value)
    if origin is Literal:
        return _one_of(get_args(kind), value)
    if origin is list:
        return _list(get_args(kind)[0], value)
    if origin is dict:
        return _dict(get_args(kind)[1], value)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(_one_of(tuple(member.value for member in kind), value))
    converter = _SCALARS.get(kind)
    if converter is None:
        raise TypeError(f"no conversion to {kind!r}")
    return converter(value)


def is_collection(kind: Any) -> bool:
    """Whether a setting of this type is written as JSON in a variable (a list or a mapping)."""
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        return any(is_collection(option) for option in get_args(kind))
    return origin in (list, dict)


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise BadValue("Input should be a valid string")
    return value


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise BadValue("Input should be a valid integer, got a number with a fractional part")
    if isinstance(value, str):
        whole = _WHOLE.fullmatch(value.strip())  # "9_000" and "8.0" as pydantic read them, not "1e3"
        if whole is None:
            raise BadValue("Input should be a valid integer, unable to parse string as an integer")
        return int(whole["digits"])
    raise BadValue("Input should be a valid integer")


def _number(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            raise BadValue("Input should be a valid number, unable to parse string as a number") from None
    raise BadValue("Input should be a valid number")


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise BadValue("Input should be a valid boolean, unable to interpret input")
    raise BadValue("Input should be a valid boolean")


def _path(value: Any) -> Path:
    if isinstance(value, str | PathLike):
        return Path(value)
    raise BadValue("Input should be a valid path")


def _one_of(choices: tuple[Any, ...], value: Any) -> Any:
    if value in choices:
        return value
    quoted = [repr(choice) for choice in choices]
    listed = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    raise BadValue(f"Input should be {listed}")


def _list(item: Any, value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise BadValue("Input should be a valid list")
    converted = []
    for index, element in enumerate(value):
        try:
            converted.append(convert(item, element))
        except BadValue as exc:
            raise BadValue(exc.reason, _joined(str(index), exc.where)) from None
    return converted


def _dict(item: Any, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise BadValue("Input should be a valid dictionary")
    converted = {}
    for key, element in value.items():
        if not isinstance(key, str):
            raise BadValue("Input should be a valid string", str(key))
        try:
            converted[key] = convert(item, element)
        except BadValue as exc:
            raise BadValue(exc.reason, _joined(key, exc.where)) from None
    return converted


def _joined(first: str, rest: str) -> str:
    return f"{first}.{rest}" if rest else first


_SCALARS: dict[Any, Any] = {str: _string, int: _integer, float: _number, bool: _boolean, Path: _path}
