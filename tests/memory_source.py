"""A RunSource over records held in memory: a real implementation of the protocol for exact-value tests."""

from __future__ import annotations

from alpaca_dash.domain import RunRecord
from alpaca_dash.sources.base import SourceError


class MemorySource:
    kind = "memory"

    def __init__(self, records: dict[int, RunRecord] | None = None) -> None:
        self.records = dict(records or {})

    def add(self, record: RunRecord) -> None:
        self.records[record.run] = record

    def latest_run(self) -> int | None:
        return max(self.records, default=None)

    def available_runs(self, first: int, last: int) -> list[int]:
        return sorted(run for run in self.records if first <= run <= last)

    def read_run(self, run: int) -> RunRecord:
        try:
            return self.records[run]
        except KeyError:
            raise SourceError(f"run {run} is not in memory") from None
