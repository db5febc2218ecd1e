"""The files source's index: one listing, then only what is new, by a directory watch or the folder's mtime."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from alpaca_dash.sources.file_index import RunFileIndex
from alpaca_dash.sources.files import FileSource, _preference, _run_of_name


def make_index(folder: Path, *, watch: bool, clock: list[float] | None = None) -> RunFileIndex:
    now = clock if clock is not None else [0.0]
    return RunFileIndex(folder, _run_of_name, _preference, watch=watch, clock=lambda: now[0])


def touch(path: Path) -> None:
    path.write_bytes(b"run")


@pytest.mark.parametrize("watch", [True, False], ids=["watch", "mtime"])
def test_new_renamed_and_removed_files_are_seen_without_listing_again(tmp_path: Path, watch: bool) -> None:
    touch(tmp_path / "run_1.h5")
    index = make_index(tmp_path, watch=watch)
    try:
        assert index.watching is watch
        assert index.latest() == 1 and index.listings == 1
        touch(tmp_path / "run_3.npz.part")
        assert index.latest() == 1
        os.rename(tmp_path / "run_3.npz.part", tmp_path / "run_3.npz")
        assert index.latest() == 3
        touch(tmp_path / "run_3.h5")  # HDF5 wins over NPZ for one run
        assert index.path_of(3) == tmp_path / "run_3.h5"
        (tmp_path / "run_3.h5").unlink()
        assert index.path_of(3) == tmp_path / "run_3.npz"
        (tmp_path / "run_3.npz").unlink()
        assert index.latest() == 1 and index.between(0, 10) == [1]
        if watch:
            assert index.listings == 1  # every change came from the watch
    finally:
        index.close()


def test_polls_of_an_unchanged_folder_list_nothing(tmp_path: Path) -> None:
    for run in range(50):
        touch(tmp_path / f"run_{run}.h5")
    stamp = (tmp_path.stat().st_atime_ns, tmp_path.stat().st_mtime_ns - 10**10)
    os.utime(tmp_path, ns=stamp)  # an old change: no race with the listing's own clock
    index = make_index(tmp_path, watch=False)
    assert index.latest() == 49
    for _ in range(20):
        assert index.between(10, 12) == [10, 11, 12]
    assert index.listings == 1


def test_a_full_listing_comes_every_rescan_period(tmp_path: Path) -> None:
    clock = [0.0]
    index = make_index(tmp_path, watch=True, clock=clock)
    try:
        assert index.latest() is None
        clock[0] = 599.0
        index.latest()
        assert index.listings == 1
        clock[0] = 601.0
        index.latest()
        assert index.listings == 2
    finally:
        index.close()


def test_sources_of_one_folder_share_its_index(tmp_path: Path) -> None:
    assert FileSource(tmp_path).index is FileSource(tmp_path).index
