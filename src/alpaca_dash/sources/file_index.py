"""Which run files a folder holds, remembered between calls so that a poll looks only at what is new.

Listing a folder of 1e5 run files took 2.4 s and the follower did it several times per poll. The index lists the
folder once; after that it learns of new, renamed and removed files from a directory watch (watchfiles, on inotify
and its kin) and looks at those names only. Where no watch can be had, it lists the folder again only when the
folder's modification time has moved, which a poll learns from one ``stat``. A full listing every
``rescan_seconds`` catches whatever a watch may have dropped (an overflowing event queue, a network file system).
"""

from __future__ import annotations

import bisect
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from alpaca_dash.sources.base import SourceError

log = logging.getLogger(__name__)

#: a full listing at least this often, in case the watch missed something
RESCAN_SECONDS = 600.0
#: how often the watch thread wakes without news, to notice a stop (and, the first time, that it is ready)
WAKE_MILLISECONDS = 200
#: how long a poll waits for the watch to report a change the folder's mtime shows, before it lists the folder
WATCH_WAIT_SECONDS = 1.0
#: file times come from the kernel's coarse clock, up to a tick behind the time a batch is stamped with
COARSE_CLOCK_SECONDS = 0.02
#: a folder changed this close to its listing may change again within the same mtime tick: list it again next time
RACY_SECONDS = 2.0

#: the run number of a file name, or None when the name is not a run file (``files.parse_run_number``)
RunOfName = Callable[[str], int | None]
#: the order of preference among one run's files: the smallest key is read
Preference = Callable[[str], tuple[int, str]]


class RunFileIndex:
    """Run number to the file to read for it, with the newest run and ranges answered from memory.

    :param watch: use a directory watch where one can be started; without one, a changed mtime means a new listing.
    """

    def __init__(
        self,
        folder: Path,
        run_of_name: RunOfName,
        preference: Preference,
        *,
        watch: bool = True,
        rescan_seconds: float = RESCAN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.folder = folder
        self._run_of_name = run_of_name
        self._preference = preference
        self._rescan_seconds = rescan_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # the watch thread reported a batch
        self._batch_at = 0.0  # wall time of its last batch
        self._watched_mtime: int | None = None  # the folder's mtime the pending changes account for
        self._names: dict[int, set[str]] = {}  # run to its candidate file names
        self._chosen: dict[int, str] = {}
        self._runs: list[int] = []  # sorted
        self._pending: set[str] = set()
        self._listed_at: float | None = None
        self._listed_mtime: int | None = None
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._watch_failed = False
        #: full listings so far (for the benchmark and the log: one per rescan, not one per poll)
        self.listings = 0
        if watch:
            self._start_watch()

    @property
    def watching(self) -> bool:
        return self._watcher is not None and self._watcher.is_alive() and not self._watch_failed

    def latest(self) -> int | None:
        self.refresh()
        with self._lock:
            return self._runs[-1] if self._runs else None

    def between(self, first: int, last: int) -> list[int]:
        self.refresh()
        with self._lock:
            return self._runs[bisect.bisect_left(self._runs, first) : bisect.bisect_right(self._runs, last)]

    def path_of(self, run: int) -> Path | None:
        self.refresh()
        with self._lock:
            name = self._chosen.get(run)
        return None if name is None else self.folder / name

    def refresh(self) -> None:
        """Bring the index up to date: the watched changes, or a listing when one is due.

        :raises SourceError: when the folder cannot be listed.
        """
        now = self._clock()
        if self._listed_at is None or now - self._listed_at >= self._rescan_seconds:
            self._list()
            return
        try:
            mtime = os.stat(self.folder).st_mtime_ns
        except OSError as exc:
            raise SourceError(f"cannot list the run folder {self.folder}: {exc}") from exc
        if self.watching:
            self._take_watched(mtime)
            return
        racy = self._listed_mtime is not None and abs(time.time() - self._listed_mtime / 1e9) < RACY_SECONDS
        if mtime != self._listed_mtime or racy:
            self._list()

    def _take_watched(self, mtime: int) -> None:
        """Apply the watched changes; when the folder changed since, first wait for the watch to report it."""
        with self._changed:
            if mtime != self._watched_mtime:
                after = mtime / 1e9 + COARSE_CLOCK_SECONDS
                reported = self._changed.wait_for(lambda: self._batch_at > after, timeout=WATCH_WAIT_SECONDS)
                if not reported:
                    self._lock.release()
                    try:
                        self._list()
                    finally:
                        self._lock.acquire()
                    return
                self._watched_mtime = mtime
            names, self._pending = self._pending, set()
        for name in names:
            self._look_at(name)

    def close(self) -> None:
        """Stop the watch (the index keeps answering, by listing)."""
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        self._watcher = None

    def _list(self) -> None:
        started = self._clock()
        try:
            mtime = os.stat(self.folder).st_mtime_ns
            with os.scandir(self.folder) as entries:
                names = [entry.name for entry in entries if entry.is_file()]
        except OSError as exc:
            raise SourceError(f"cannot list the run folder {self.folder}: {exc}") from exc
        by_run: dict[int, set[str]] = {}
        for name in names:
            run = self._run_of_name(name)
            if run is not None:
                by_run.setdefault(run, set()).add(name)
        chosen = {run: min(candidates, key=self._preference) for run, candidates in by_run.items()}
        with self._lock:
            self._names, self._chosen, self._runs = by_run, chosen, sorted(chosen)
            self._pending.clear()  # the listing saw them
        self._listed_at, self._listed_mtime = started, mtime
        self._watched_mtime = mtime
        self.listings += 1

    def _look_at(self, name: str) -> None:
        """Take one name's change into account, whatever the event was: the file is there or it is not."""
        run = self._run_of_name(name)
        if run is None:
            return
        present = (self.folder / name).is_file()
        with self._lock:
            candidates = self._names.setdefault(run, set())
            (candidates.add if present else candidates.discard)(name)
            if candidates:
                if run not in self._chosen:
                    bisect.insort(self._runs, run)
                self._chosen[run] = min(candidates, key=self._preference)
            else:
                del self._names[run]
                if self._chosen.pop(run, None) is not None:
                    del self._runs[bisect.bisect_left(self._runs, run)]

    def _start_watch(self) -> None:
        try:
            import watchfiles
        except ImportError:  # the platform offers no watch here: listing on a changed mtime it is
            return
        ready = threading.Event()

        def watch() -> None:
            try:
                changes = watchfiles.watch(
                    self.folder,
                    recursive=False,
                    debounce=50,
                    step=20,
                    stop_event=self._stop,
                    watch_filter=None,
                    raise_interrupt=False,
                    yield_on_timeout=True,
                    rust_timeout=WAKE_MILLISECONDS,
                )
                for batch in changes:  # the first batch, empty or not, comes once the watch is in place
                    ready.set()
                    with self._changed:
                        self._pending.update(Path(path).name for _, path in batch)
                        self._batch_at = time.time()
                        self._changed.notify_all()
            except Exception as exc:  # a folder that vanished, an inotify limit: fall back to listing
                log.warning("no directory watch on %s (%s); listing it when it changes", self.folder, exc)
                self._watch_failed = True
            finally:
                ready.set()

        self._watcher = threading.Thread(target=watch, name=f"watch {self.folder.name}", daemon=True)
        self._watcher.start()
        ready.wait(timeout=5)


_shared: dict[tuple[Path, bool], RunFileIndex] = {}
_shared_lock = threading.Lock()


def shared_index(folder: Path, run_of_name: RunOfName, preference: Preference, *, watch: bool = True) -> RunFileIndex:
    """The process's one index of ``folder``: sources made for every job share its listing and its watch."""
    key = (folder.resolve(), watch)
    with _shared_lock:
        index = _shared.get(key)
        if index is None:
            index = _shared[key] = RunFileIndex(folder, run_of_name, preference, watch=watch)
        return index
