"""A small read API for scripts, as JSON: ``/api/observables``, ``/api/runs`` and ``/api/trend``.

Every route takes a personal API token (``Authorization: Bearer adt_...``) or a browser session, and acts with that
user's role; every role may read. Bad input is a 400 with a one-line reason, an unknown observable a 404.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import numpy as np
from fastapi import Request
from fastapi.responses import JSONResponse
from nicegui import app
from starlette.responses import Response

from alpaca_dash.domain import STATISTICS, Observable, Run, UnknownObservable
from alpaca_dash.queries import observables as observable_queries
from alpaca_dash.queries import runs as run_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observable_tree import search_observables
from alpaca_dash.queries.trends import TrendError, load_run_times, load_trend
from alpaca_dash.run_range import RunRange, RunRangeError, parse_run_range
from alpaca_dash.web.api_auth import api_user, unauthorized
from alpaca_dash.web.threads import in_thread

DEFAULT_RUNS = 100
#: observables in one answer of /api/observables unless ?limit= says otherwise, and at most
DEFAULT_OBSERVABLES = 1_000
MAX_OBSERVABLES = 10_000


def observable_json(item: Observable) -> dict[str, Any]:
    return {
        "name": item.name,
        "kind": item.kind.value,
        "kinds": [kind.value for kind in item.kinds],
        "dtype": item.dtype,
        "shape": list(item.shape),
        "unit": item.unit,
        "first_run": item.first_run,
        "last_run": item.last_run,
    }


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def run_json(item: Run) -> dict[str, Any]:
    return {
        "run": item.run,
        "start_time": _time(item.start),
        "end_time": _time(item.end),
        "status": str(item.status),
        "good": item.good,
        "tags": list(item.tags),
        "comment": item.comment,
        "source": item.source,
        "ingested_at": _time(item.ingested_at),
        "observable_count": item.observable_count,
        "error_count": item.error_count,
    }


def _trend_json(access: DataAccess, name: str, wanted: RunRange, statistic: str | None) -> dict[str, Any]:
    (item,) = observable_queries.get_observables(access, [name])
    trend = load_trend(access, item, wanted.first, wanted.last, statistic=statistic)  # type: ignore[arg-type]
    times = load_run_times(access, trend.runs)
    return {
        "observable": item.name,
        "statistic": statistic,
        "unit": item.unit,
        "runs": trend.runs.tolist(),
        "start_time": [None if np.isnat(t) else f"{t}+00:00" for t in times],
        "values": [_json_number(value) for value in trend.values.tolist()],
        "good": trend.good.tolist(),
    }


def _json_number(value: float) -> float | str | None:
    """JSON has no NaN or infinity: NaN is null, infinities the strings ``"inf"`` and ``"-inf"``."""
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def add_api_routes(access: DataAccess) -> None:
    def bad(message: object, status: int = 400) -> Response:
        return Response(str(message), status_code=status, media_type="text/plain")

    def run_range(text: str) -> RunRange:
        return parse_run_range(text, max_runs=access.settings.max_range)

    @app.get("/api/observables", include_in_schema=False)
    async def api_observables(
        request: Request, search: str = "", limit: int = DEFAULT_OBSERVABLES, after: str | None = None
    ) -> Response:
        if await api_user(access, request) is None:
            return unauthorized(request)
        if not 1 <= limit <= MAX_OBSERVABLES:
            return bad(f"limit must be 1 to {MAX_OBSERVABLES}")
        found = await in_thread(search_observables, access, search, limit=limit, after=after)
        return JSONResponse(
            {
                "observables": [observable_json(o) for o in found.items],
                "more": found.more,
                "next": found.items[-1].name if found.more else None,
            }
        )

    @app.get("/api/runs", include_in_schema=False)
    async def api_runs(
        request: Request,
        runs: str = "",
        tag: str = "",
        good: bool | None = None,
        limit: int = DEFAULT_RUNS,
    ) -> Response:
        if await api_user(access, request) is None:
            return unauthorized(request)
        if not 1 <= limit <= access.settings.max_range:
            return bad(f"limit must be 1 to {access.settings.max_range}")
        try:
            wanted = run_range(runs) if runs else None
        except RunRangeError as exc:
            return bad(exc)
        where = run_queries.RunFilter(
            first=None if wanted is None else wanted.first,
            last=None if wanted is None else wanted.last,
            good=good,
            tag=tag or None,
        )
        found = await in_thread(run_queries.list_runs, access, limit=limit, where=where)
        return JSONResponse({"runs": [run_json(r) for r in found]})

    @app.get("/api/trend", include_in_schema=False)
    async def api_trend(request: Request, observable: str = "", runs: str = "", statistic: str = "") -> Response:
        if await api_user(access, request) is None:
            return unauthorized(request)
        if not observable:
            return bad("name an observable: ?observable=...&runs=A-B")
        if statistic and statistic not in STATISTICS:
            return bad(f"unknown statistic {statistic!r}: choose one of {', '.join(STATISTICS)}")
        try:
            payload = await in_thread(_trend_json, access, observable, run_range(runs), statistic or None)
        except (RunRangeError, TrendError) as exc:
            return bad(exc)
        except UnknownObservable as exc:
            return bad(exc, 404)
        return JSONResponse(payload)
