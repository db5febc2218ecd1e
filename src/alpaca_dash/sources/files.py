"""A folder of run files, one per run, as ALPACA dumps them: HDF5 (``.h5``, ``.hdf5``) or NPZ.

A file belongs to the run given by the last group of digits in its stem (``run_390123.h5``, ``390124.npz``).
Hidden and temporary files (a leading ``.`` or ``~``, a ``.tmp`` or ``.part`` suffix anywhere in the name) are
ignored, so writers that rename a finished file into place are never read half-written. When one run has both an
HDF5 and an NPZ file, the HDF5 file wins: it carries units and run times, which NPZ cannot. Among several files of the
same format for one run, the first by name wins.

HDF5 layout: every dataset is an observable named by its path with ``/`` replaced by ``*``; a dataset attribute
``unit`` is its unit; the root attributes ``run_start`` and ``run_end`` (ISO-8601 text or unix seconds) are the run
times. NPZ layout: every key is the full observable name; keys ``run_start``/``run_end`` are the run times.

Values come back as read, with their dtype; ingest decides what it can store.
"""

from __future__ import annotations

import logging
import re
import time
import zipfile
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from alpaca_dash.domain import NAME_SEPARATOR, RunRecord
from alpaca_dash.sources.base import FileSignature, SourceError
from alpaca_dash.sources.file_index import RunFileIndex, shared_index

log = logging.getLogger(__name__)

HDF5_SUFFIXES = (".h5", ".hdf5")
NPZ_SUFFIXES = (".npz",)
TEMPORARY_SUFFIXES = frozenset({".tmp", ".part"})
RUN_START_KEY = "run_start"
RUN_END_KEY = "run_end"

#: files whose settling is remembered at most
_SEEN_LIMIT = 10_000

_DIGITS = re.compile(r"\d+")
# What h5py raises for a dataset it cannot read: a bad chunk, a missing filter or external file, a type numpy lacks.
_READ_ERRORS = (OSError, RuntimeError, TypeError, ValueError, KeyError)
# What numpy and zipfile raise for a broken archive or member: bad CRC, bad header, object array, bad deflate stream.
_NPZ_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error)
# What parse_run_time and datetime.fromtimestamp raise for a value that is no usable time.
_TIME_ERRORS = (ValueError, TypeError, OverflowError, OSError)


class FileSource:
    """Runs read from a folder of HDF5/NPZ files; new files appear through the folder's index (``file_index``).

    :param watch: keep the index by a directory watch where the platform has one (else by the folder's mtime).
    """

    kind = "files"

    def __init__(self, folder: Path, *, watch: bool = True, settle_seconds: float = 0.0) -> None:
        self.folder = Path(folder)
        self._watch = watch
        self.settle_seconds = settle_seconds
        #: path to (signature, monotonic time it was first seen with it)
        self._seen: dict[Path, tuple[FileSignature, float]] = {}

    @property
    def index(self) -> RunFileIndex:
        return shared_index(self.folder, _run_of_name, _preference, watch=self._watch)

    def latest_run(self) -> int | None:
        """The highest run number with a file in the folder, or None when there is none."""
        return self.index.latest()

    def available_runs(self, first: int, last: int) -> list[int]:
        """The runs between ``first`` and ``last`` inclusive that have a file, ascending."""
        return self.index.between(first, last)

    def signature(self, run: int) -> FileSignature | None:
        """The run's file's size and mtime (ns), or None when it has no file (or it went since the listing)."""
        path = self.index.path_of(run)
        if path is None:
            return None
        try:
            status = path.stat()
        except OSError:
            return None
        return status.st_size, status.st_mtime_ns

    def settled(self, run: int) -> bool:
        """Whether the run's file has kept its size and mtime for ``settle_seconds``: by its mtime, or (a clock of
        another machine's file system may be off) since this source first saw it so."""
        if self.settle_seconds <= 0:
            return True
        path = self.index.path_of(run)
        signature = self.signature(run)
        if path is None or signature is None:
            return False
        now = time.monotonic()
        seen = self._seen.get(path)
        if seen is None or seen[0] != signature:
            self._seen[path] = seen = (signature, now)
        if len(self._seen) > _SEEN_LIMIT:  # only files being written are of interest: forget the rest
            self._seen = {path: seen}
        age = time.time() - signature[1] / 1e9
        return age >= self.settle_seconds or now - seen[1] >= self.settle_seconds

    def read_run(self, run: int) -> RunRecord:
        """Every dataset of the run's file; datasets that cannot be read are listed in ``errors``.

        :raises SourceError: when the run has no file, or its file is truncated or not a readable HDF5/NPZ file.
        """
        path = self.index.path_of(run)
        if path is None:
            raise SourceError(f"run {run}: no file for it in {self.folder}")
        check_inside(path, self.folder, run)
        if path.suffix.lower() in HDF5_SUFFIXES:
            return read_hdf5_run(path, run)
        return read_npz_run(path, run)


def check_inside(path: Path, folder: Path, run: int) -> None:
    """A run file must be a regular file in the run folder itself: a symbolic link (to anything readable by this
    process) would turn that file into observables every user sees.

    :raises SourceError: for a symbolic link, a path that resolves outside the folder, or not a regular file.
    """
    if path.is_symlink():
        raise SourceError(f"run {run}: {path.name} is a symbolic link; run files must be regular files")
    try:
        inside = path.resolve(strict=True).parent == folder.resolve(strict=True)
    except OSError as exc:
        raise SourceError(f"run {run}: cannot open {path}: {exc}") from exc
    if not inside or not path.is_file():
        raise SourceError(f"run {run}: {path.name} is not a regular file in {folder}")


def parse_run_number(path: Path) -> int | None:
    """The run number of a run file (the last group of digits in its stem), or None if the name is not one."""
    name = path.name
    if name.startswith((".", "~")) or TEMPORARY_SUFFIXES.intersection(s.lower() for s in path.suffixes):
        return None
    if path.suffix.lower() not in HDF5_SUFFIXES + NPZ_SUFFIXES:
        return None
    groups = _DIGITS.findall(path.stem)
    return int(groups[-1]) if groups else None


def _run_of_name(name: str) -> int | None:
    return parse_run_number(Path(name))


def _preference(name: str) -> tuple[int, str]:
    """HDF5 before NPZ, then the first by name: the file read for a run."""
    return (0 if _is_hdf5(Path(name)) else 1, name)


def index_run_files(folder: Path) -> dict[int, Path]:
    """Run number to the file to read for it, preferring HDF5 over NPZ.

    :raises SourceError: when the folder cannot be listed.
    """
    try:
        paths = sorted(p for p in folder.iterdir() if p.is_file())
    except OSError as exc:
        raise SourceError(f"cannot list the run folder {folder}: {exc}") from exc
    index: dict[int, Path] = {}
    for path in paths:
        run = parse_run_number(path)
        if run is None:
            continue
        chosen = index.get(run)
        if chosen is None or (_is_hdf5(path) and not _is_hdf5(chosen)):
            index[run] = path
    return index


def read_hdf5_run(path: Path, run: int) -> RunRecord:
    """Every dataset of one HDF5 run file, named by its path joined with ``*``.

    :raises SourceError: when the file cannot be opened or its root cannot be listed.
    """
    try:
        h5 = h5py.File(path, "r")
    except OSError as exc:  # truncated, not HDF5, gone since the listing
        raise SourceError(f"run {run}: cannot open {path}: {exc}") from exc
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    units: dict[str, str] = {}
    with h5:
        try:
            root_keys = list(h5.keys())
        except _READ_ERRORS as exc:
            raise SourceError(f"run {run}: cannot list the contents of {path}: {exc}") from exc
        start = _read_time_attribute(h5, RUN_START_KEY, path)
        end = _read_time_attribute(h5, RUN_END_KEY, path)
        for parts, item in _walk_group(h5, (), root_keys, errors, set()):
            name = NAME_SEPARATOR.join(parts)
            try:
                value = item[()]
            except _READ_ERRORS as exc:
                errors[name] = f"cannot read dataset /{'/'.join(parts)} of {path.name}: {exc}"
                continue
            if isinstance(value, h5py.Empty):
                errors[name] = f"dataset /{'/'.join(parts)} of {path.name} has no data (null dataspace)"
                continue
            values[name] = value
            unit = _read_unit(item)
            if unit:
                units[name] = unit
    return RunRecord(run=run, start=start, end=end, values=values, errors=errors, units=units)


def _walk_group(
    group: h5py.Group, prefix: tuple[str, ...], keys: list[str], errors: dict[str, str], seen: set[Any]
) -> Iterator[tuple[tuple[str, ...], h5py.Dataset]]:
    """The datasets under ``group`` with their path parts; broken links and unlistable groups go into ``errors``."""
    seen.add(group.id)  # hard links can make cycles
    for key in keys:
        parts = (*prefix, key)
        try:
            if isinstance(group.get(key, getlink=True), h5py.ExternalLink):
                errors[NAME_SEPARATOR.join(parts)] = f"/{'/'.join(parts)} is a link into another file; refused"
                continue
            item = group[key]
        except _READ_ERRORS as exc:  # a dangling soft or external link, a damaged object header
            errors[NAME_SEPARATOR.join(parts)] = f"cannot open /{'/'.join(parts)}: {exc}"
            continue
        if isinstance(item, h5py.Dataset):
            if item.external or item.is_virtual:  # raw data kept in other files
                errors[NAME_SEPARATOR.join(parts)] = f"/{'/'.join(parts)} keeps its data in other files; refused"
                continue
            yield parts, item
        elif isinstance(item, h5py.Group) and item.id not in seen:
            try:
                child_keys = list(item.keys())
            except _READ_ERRORS as exc:
                errors[NAME_SEPARATOR.join(parts)] = f"cannot list group /{'/'.join(parts)}: {exc}"
                continue
            yield from _walk_group(item, parts, child_keys, errors, seen)


def _read_unit(dataset: h5py.Dataset) -> str | None:
    try:
        unit = dataset.attrs.get("unit")
    except _READ_ERRORS:
        return None  # a unit is a nicety; never lose the value over it
    if unit is None:
        return None
    return _as_text(unit)


def _read_time_attribute(h5: h5py.File, key: str, path: Path) -> datetime | None:
    try:
        raw = h5.attrs.get(key)
        return None if raw is None else parse_run_time(raw)
    except (*_READ_ERRORS, *_TIME_ERRORS) as exc:
        log.warning("ignoring the %s attribute of %s: %s", key, path, exc)
        return None


def read_npz_run(path: Path, run: int) -> RunRecord:
    """Every array of one NPZ run file; keys are the full observable names.

    :raises SourceError: when the file is truncated or not an NPZ archive.
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    times: dict[str, datetime | None] = {RUN_START_KEY: None, RUN_END_KEY: None}
    # numpy leaks its own file handle when the archive is broken, so open (and close) the file here
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise SourceError(f"run {run}: cannot open {path}: {exc}") from exc
    with handle:
        try:
            archive = np.load(handle, allow_pickle=False)
        except _NPZ_ERRORS as exc:
            raise SourceError(f"run {run}: cannot open {path}: {exc}") from exc
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise SourceError(f"run {run}: {path} holds a single array, not an NPZ archive of observables")
        with archive:
            for key in archive.files:
                try:
                    value = archive[key]
                except _NPZ_ERRORS as exc:
                    errors[key] = f"cannot read array {key!r} of {path.name}: {exc}"
                    continue
                if key in times:
                    try:
                        times[key] = parse_run_time(value)
                    except _TIME_ERRORS as exc:
                        log.warning("ignoring the %s entry of %s: %s", key, path, exc)
                    continue
                values[key] = value
    return RunRecord(run=run, start=times[RUN_START_KEY], end=times[RUN_END_KEY], values=values, errors=errors)


def parse_run_time(raw: Any) -> datetime:
    """A run time from ISO-8601 text or unix seconds; a time without a zone is taken as UTC.

    :raises ValueError: when ``raw`` is neither.
    """
    if isinstance(raw, np.ndarray):
        if raw.size != 1:
            raise ValueError(f"expected one time, got an array of shape {raw.shape}")
        raw = raw.reshape(()).item()
    elif isinstance(raw, np.generic):
        raw = raw.item()
    if isinstance(raw, datetime):
        moment = raw
    elif isinstance(raw, bool):
        raise ValueError(f"not a time: {raw!r}")
    elif isinstance(raw, (int, float)):
        moment = datetime.fromtimestamp(raw, tz=UTC)
    elif isinstance(raw, (str, bytes)):
        text = _as_text(raw).strip()
        try:
            return datetime.fromtimestamp(float(text), tz=UTC)
        except ValueError:
            moment = datetime.fromisoformat(text)
    else:
        raise ValueError(f"not a time: {type(raw).__name__} {raw!r}")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _as_text(raw: Any) -> str:
    if isinstance(raw, np.ndarray) and raw.size == 1:
        raw = raw.reshape(()).item()
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="replace")
    return str(raw)


def _is_hdf5(path: Path) -> bool:
    return path.suffix.lower() in HDF5_SUFFIXES
