"""Several requests of one session, arriving at once in a process that has not seen the session yet (an instance
behind nginx just after the sign-in happened on another), all read what the session's storage holds."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from nicegui import app
from nicegui.storage import RequestTrackingMiddleware, Storage
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from alpaca_dash.web.user_storage import load_user_storage_once


async def who(request: Request) -> JSONResponse:
    return JSONResponse({"session": request.session["id"], "user_id": app.storage.user.get("user_id")})


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Starlette:
    monkeypatch.setattr(Storage, "path", tmp_path)
    monkeypatch.setattr(Storage, "redis_url", None)
    middleware = [Middleware(SessionMiddleware, secret_key="test"), Middleware(RequestTrackingMiddleware)]
    return Starlette(routes=[Route("/who", who)], middleware=middleware)


async def concurrent_reads(site: Starlette, tmp_path: Path) -> list[object]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=site), base_url="http://test") as client:
        first = (await client.get("/who")).json()  # a session and its cookie
        session = first["session"]
        app.storage._users.pop(session)  # as if the session had been made by another process...
        stored = tmp_path / f"storage-user-{session}.json"
        stored.write_text(json.dumps({"user_id": 7}))  # ...which signed it in
        answers = await asyncio.gather(*(client.get("/who") for _ in range(10)))
    app.storage._users.pop(session, None)
    return [answer.json()["user_id"] for answer in answers]


async def test_every_request_of_a_new_session_reads_its_stored_user(site: Starlette, tmp_path: Path) -> None:
    load_user_storage_once(app.storage)
    assert await concurrent_reads(site, tmp_path) == [7] * 10
