"""A run's values handed to the quality checks' process through a file: written once, read back once, deleted.

Passing the arrays through a pipe would pickle them while holding the ingest process's GIL; here each array is one
``write`` (the GIL released). The file lives about a second, in /dev/shm where there is one (memory), else in TMPDIR.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from math import prod

import numpy as np

from alpaca_dash.types import Array

SHARED_MEMORY = "/dev/shm"


@dataclass(frozen=True)
class SpilledArray:
    name: str
    dtype: str
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Spill:
    """Where a run's values were written and how to read them back, in order."""

    path: str
    arrays: tuple[SpilledArray, ...]


def spill_values(values: Mapping[str, Array]) -> Spill:
    """Write ``values`` to a new file in /dev/shm, or TMPDIR when that is missing or full.

    :raises OSError: when the file cannot be written anywhere (nothing is left behind).
    """
    folders = [SHARED_MEMORY] if os.path.isdir(SHARED_MEMORY) else []
    for folder in folders:
        try:
            return _spill_into(values, folder)
        except OSError:
            pass
    return _spill_into(values, tempfile.gettempdir())


def _spill_into(values: Mapping[str, Array], folder: str) -> Spill:
    fd, path = tempfile.mkstemp(prefix="alpaca-dash-quality-", suffix=".values", dir=folder)
    arrays = []
    try:
        with os.fdopen(fd, "wb") as file:
            for name, value in values.items():
                data = np.asarray(value)
                if not data.flags.c_contiguous:  # np.ascontiguousarray would make a 0-d array 1-d
                    data = data.copy(order="C")
                file.write(data.data)
                arrays.append(SpilledArray(name, data.dtype.str, tuple(data.shape)))
    except BaseException:
        remove_spill(Spill(path, ()))
        raise
    return Spill(path, tuple(arrays))


def load_spill(spill: Spill) -> dict[str, Array]:
    """The values as they were written (each array a copy of its own, writable)."""
    values: dict[str, Array] = {}
    with open(spill.path, "rb") as file:
        for array in spill.arrays:
            count = prod(array.shape)
            data = np.fromfile(file, dtype=np.dtype(array.dtype), count=count) if count else np.empty(0, array.dtype)
            if data.size != count:
                raise OSError(f"{spill.path} ends before {array.name!r}")
            values[array.name] = data.reshape(array.shape)
    return values


def remove_spill(spill: Spill) -> None:
    try:
        os.unlink(spill.path)
    except FileNotFoundError:
        pass
