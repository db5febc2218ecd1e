"""Plain HTTP routes next to the pages: the health check, the panel images and the panels' data downloads."""

from __future__ import annotations

from fastapi.responses import JSONResponse
from nicegui import app, run
from starlette.responses import FileResponse, Response

from alpaca_dash.content.value_cache import ValueCache
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.health import check_database
from alpaca_dash.web.auth import session_user_id
from alpaca_dash.web.image_cache import ImageCache

IMAGE_ROUTE = "/api/images"
DOWNLOAD_ROUTE = "/api/downloads"


def image_url(token: str) -> str:
    return f"{IMAGE_ROUTE}/{token}.png"


def download_url(token: str) -> str:
    return f"{DOWNLOAD_ROUTE}/{token}"


def add_routes(access: DataAccess, images: ImageCache, values: ValueCache | None = None) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        ok = await run.io_bound(check_database, access)
        body: dict[str, object] = {"database": "ok" if ok else "unreachable"}
        if values is not None:  # how often panels read a value from storage rather than from the cache
            body["value_reads"] = values.loads
        return JSONResponse(body, status_code=200 if ok else 503)

    @app.get(IMAGE_ROUTE + "/{token}.png", include_in_schema=False)
    async def panel_image(token: str) -> Response:
        user_id = session_user_id()
        if user_id is None:
            return Response("not signed in", status_code=401)
        png = images.get(user_id, token)
        if png is None:
            return Response("no such image", status_code=404)
        return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    @app.get(DOWNLOAD_ROUTE + "/{token}", include_in_schema=False)
    async def panel_download(token: str) -> Response:
        user_id = session_user_id()
        if user_id is None:
            return Response("not signed in", status_code=401)
        entry = images.get_file(user_id, token)
        if entry is None or not entry.filename:
            return Response("no such download", status_code=404)
        disposition = f'attachment; filename="{entry.filename}"'  # file_stem keeps names to [A-Za-z0-9._-]
        headers = {"Cache-Control": "private, no-store", "Content-Disposition": disposition}
        if entry.path is not None:
            return FileResponse(entry.path, media_type=entry.media_type, headers=headers)
        return Response(entry.content, media_type=entry.media_type, headers=headers)
