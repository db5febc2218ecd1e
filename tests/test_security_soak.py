"""A short form of the P7 soak (bench/p7_soak.py): live clients while runs arrive, no errors anywhere, and the
server's memory flat over page open/close cycles."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: slow (about a minute with a real Chromium), and still run by ``make test``, which deselects no marker
pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_live_clients_see_new_runs_without_errors_or_memory_growth(
    fresh_schema_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(ROOT))  # bench/ lives beside src/, not in the installed package
    p7 = importlib.import_module("bench.p7_soak")
    result = p7.soak(fresh_schema_url, clients=3, runs=3, cycles=80)  # 40 warm-up cycles, 40 measured
    assert len(result.latencies_ms) == 9
    assert result.errors == 0, (result.browser_errors, result.server_errors)
    assert result.p95_ms < 5_000, result.latencies_ms
    assert result.rss_growth_mb < 5, (result.rss_before_mb, result.rss_after_mb)
