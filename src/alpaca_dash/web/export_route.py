"""``GET /api/export?observable=...&runs=a-b``: chosen observables over a run range as a Parquet download.

The file is written in bounded row groups to a temporary file in a worker thread, then streamed from disk and
deleted; the request needs a signed-in session or a personal API token (``Authorization: Bearer``). The
temporary file is in the system's temporary folder (``TMPDIR``), never in the data folder that is backed up,
and each user may have at most ``MAX_EXPORTS_PER_USER`` exports under way at once.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from fastapi import Query, Request
from nicegui import app
from starlette.background import BackgroundTask
from starlette.responses import FileResponse, Response

from alpaca_dash.domain import UnknownObservable
from alpaca_dash.export import export_parquet
from alpaca_dash.parquet_cache.store import SidecarError
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observables import get_observables
from alpaca_dash.run_range import RunRange, RunRangeError, parse_run_range
from alpaca_dash.web.api_auth import api_user, unauthorized
from alpaca_dash.web.threads import in_thread

EXPORT_ROUTE = "/api/export"
MAX_EXPORT_OBSERVABLES = 50
MAX_EXPORTS_PER_USER = 2
log = logging.getLogger(__name__)


def export_url(observables: list[str], runs: RunRange | str) -> str:
    return EXPORT_ROUTE + "?" + urlencode([*(("observable", name) for name in observables), ("runs", str(runs))])


def export_filename(runs: RunRange) -> str:
    return f"alpaca-runs-{runs.first}-{runs.last}.parquet"


def _write(access: DataAccess, names: list[str], runs: RunRange) -> Path:
    observables = get_observables(access, names)
    handle, name = tempfile.mkstemp(prefix="alpaca-export-", suffix=".parquet")
    os.close(handle)
    path = Path(name)
    try:
        export_parquet(access, observables, runs.first, runs.last, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


class ExportSlots:
    """How many exports each user has under way; at most ``limit`` at once."""

    def __init__(self, limit: int = MAX_EXPORTS_PER_USER) -> None:
        self.limit = limit
        self.running: Counter[int] = Counter()

    def take(self, user_id: int) -> bool:
        if self.running[user_id] >= self.limit:
            return False
        self.running[user_id] += 1
        return True

    def give_back(self, user_id: int) -> None:
        self.running[user_id] -= 1
        if self.running[user_id] <= 0:
            del self.running[user_id]


def add_export_route(access: DataAccess) -> None:
    slots = ExportSlots()

    @app.get(EXPORT_ROUTE, include_in_schema=False)
    async def export_observables(
        request: Request,
        observable: list[str] = Query(default=[]),  # noqa: B008 (FastAPI's way to declare a repeated parameter)
        runs: str = "",
    ) -> Response:
        user = await api_user(access, request)
        if user is None:
            return unauthorized(request)
        names = list(dict.fromkeys(observable))
        if not names or len(names) > MAX_EXPORT_OBSERVABLES:
            return Response(f"name 1 to {MAX_EXPORT_OBSERVABLES} observables", status_code=400)
        try:
            wanted = parse_run_range(runs, max_runs=access.settings.max_range)
        except RunRangeError as exc:
            return Response(str(exc), status_code=400)
        if not slots.take(user.id):
            text = f"you have {slots.limit} exports under way already: wait for one to finish"
            return Response(text, status_code=429, headers={"Retry-After": "10"})
        try:
            path = await in_thread(_write, access, names, wanted)
        except UnknownObservable as exc:
            slots.give_back(user.id)
            return Response(str(exc), status_code=404)
        except SidecarError as exc:
            slots.give_back(user.id)
            log.error("export of runs %s for %s failed: %s", wanted, user.name, exc)
            return Response(f"stored values cannot be read, so nothing was exported: {exc}", status_code=502)
        except BaseException:
            slots.give_back(user.id)
            raise
        filename = re.sub(r"[^A-Za-z0-9._-]", "_", export_filename(wanted))

        def done() -> None:
            path.unlink(missing_ok=True)
            slots.give_back(user.id)

        return FileResponse(
            path, media_type="application/vnd.apache.parquet", filename=filename, background=BackgroundTask(done)
        )
