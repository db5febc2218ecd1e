"""The files source stays inside its folder: a symbolic link as a run file, an HDF5 external link, external raw
storage and a virtual dataset are refused as errors for that run, and no value from outside becomes an observable."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from alpaca_dash.sources import SourceError
from alpaca_dash.sources.files import FileSource

SECRET = 4242.0


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    secret = tmp_path / "elsewhere" / "secret.h5"
    secret.parent.mkdir()
    with h5py.File(secret, "w") as h5:
        h5.create_dataset("token", data=np.float64(SECRET))
        h5.create_dataset("block", data=np.full(4, SECRET))
    (secret.parent / "raw.bin").write_bytes(np.full(4, SECRET).tobytes())
    return secret


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    runs = tmp_path / "runs"
    runs.mkdir()
    return runs


def _values(record: object) -> list[float]:
    return [float(np.max(v)) for v in record.values.values()]  # type: ignore[attr-defined]


def test_a_symbolic_link_as_a_run_file_is_refused(folder: Path, outside: Path) -> None:
    (folder / "run_7.h5").symlink_to(outside)
    (folder / "run_8.h5").symlink_to(folder / "run_7.h5")  # a link to a link in the folder: refused too
    source = FileSource(folder, watch=False)
    for run in (7, 8):
        with pytest.raises(SourceError, match="symbolic link"):
            source.read_run(run)


@pytest.mark.parametrize("kind", ["external link", "external storage", "virtual dataset"])
def test_data_from_another_file_is_refused(kind: str, folder: Path, outside: Path) -> None:
    with h5py.File(folder / "run_9.h5", "w") as h5:
        h5.create_dataset("ok", data=np.float64(1.0))
        if kind == "external link":
            h5["stolen"] = h5py.ExternalLink(str(outside), "/token")
        elif kind == "external storage":
            h5.create_dataset("stolen", shape=(4,), dtype="<f8", external=[(str(outside.parent / "raw.bin"), 0, 32)])
        else:
            layout = h5py.VirtualLayout(shape=(4,), dtype="f8")
            layout[:] = h5py.VirtualSource(str(outside), "block", shape=(4,))
            h5.create_virtual_dataset("stolen", layout)
    record = FileSource(folder, watch=False).read_run(9)
    assert "stolen" not in record.values and "refused" in record.errors["stolen"]
    assert SECRET not in _values(record) and record.values["ok"] == 1.0
