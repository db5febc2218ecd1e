"""Times as the pages show them: UTC, to the second, as people read them in a table."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_text(when: datetime | None) -> str:
    """``2026-05-01 12:30:05`` for any aware time (converted to UTC); empty for None."""
    return "" if when is None else f"{when.astimezone(UTC):%Y-%m-%d %H:%M:%S}"
