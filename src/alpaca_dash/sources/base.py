"""The one seam every run source goes through."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from alpaca_dash.domain import RunRecord


class SourceError(RuntimeError):
    """A whole run could not be read: a missing, truncated or unreadable file, or a failing ALPACA call."""


@runtime_checkable
class RunSource(Protocol):
    """Where finished runs come from.

    Implementations are plain, synchronous and safe to call from one worker thread at a time.
    """

    #: short name stored with every run it delivers (``simulated``, ``files``, ``alpaca``)
    kind: str

    def latest_run(self) -> int | None:
        """The newest finished run, or None when there is none yet."""
        ...

    def available_runs(self, first: int, last: int) -> list[int]:
        """The finished runs between ``first`` and ``last`` inclusive, ascending."""
        ...

    def read_run(self, run: int) -> RunRecord:
        """Every observable of one run.

        :raises SourceError: when the run cannot be read at all.
        """
        ...


#: a run file's size in bytes and modification time in nanoseconds: it changed when this did
FileSignature = tuple[int, int]


@runtime_checkable
class FileRuns(Protocol):
    """A source of run files that may still be being written: the follower waits for them to settle, and ingests a
    failed run again when its file changes."""

    def settled(self, run: int) -> bool:
        """Whether the run's file has stopped changing (its size and mtime stable for the settle time)."""
        ...

    def signature(self, run: int) -> FileSignature | None:
        """The run's file's size and mtime, or None when it has none."""
        ...
