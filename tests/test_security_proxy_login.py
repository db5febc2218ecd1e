"""Trusted-proxy SSO (oauth2-proxy in front): the header names the user only when the peer is a trusted proxy;
and production mode: https-only SameSite=Lax session cookie, no start without a storage secret."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import httpx
import pytest
from nicegui import core
from nicegui.testing.user import User
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from alpaca_dash.config import Settings
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.queries import users as user_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import Role
from alpaca_dash.timescale.database import Database
from alpaca_dash.web.app import storage_secret
from alpaca_dash.web.auth import ProductionConfigError, session_cookie_options
from alpaca_dash.web.proxy_login import ProxyLoginConfig

pytest_plugins = ["web_fixtures"]
USER_HEADER = "X-Forwarded-User"
GROUPS_HEADER = "X-Forwarded-Groups"


@pytest.fixture
def access(db: Database, store: ParquetStore, tmp_path: Path) -> DataAccess:
    """The data handle, with SSO headers believed from loopback only (the simulated browser's peer)."""
    settings = Settings(
        database_url=db.url,
        data_dir=tmp_path / "data",
        sso_user_header=USER_HEADER,
        sso_groups_header=GROUPS_HEADER,
        trusted_proxies=["127.0.0.1/32", "::1/128"],
        sso_group_roles={"alpha-admins": "admin", "alpha-shifters": "editor"},
    )
    return DataAccess(db, store, settings)


def _client_from(peer: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(core.app, client=(peer, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_trusted_proxy_header_signs_in_and_creates_the_user(web_user: User, access: DataAccess) -> None:
    headers = {USER_HEADER: "carol", GROUPS_HEADER: "alpha-users,alpha-shifters"}
    async with _client_from("127.0.0.1") as client:
        response = await client.get("/", headers=headers)
        assert response.status_code == 200
        assert (await client.get("/runs", headers=headers)).status_code == 200
    carol = user_queries.find_user(access, "carol")
    assert carol is not None and carol.role == Role.EDITOR
    async with _client_from("127.0.0.1") as client:
        await client.get("/", headers={USER_HEADER: "dora", GROUPS_HEADER: "alpha-shifters alpha-admins"})
        await client.get("/", headers={USER_HEADER: "erin"})
    dora, erin = user_queries.find_user(access, "dora"), user_queries.find_user(access, "erin")
    assert dora is not None and dora.role == Role.ADMIN
    assert erin is not None and erin.role == Role.VIEWER


async def test_header_from_an_untrusted_peer_is_ignored(web_user: User, access: DataAccess) -> None:
    async with _client_from("203.0.113.9") as client:
        response = await client.get("/", headers={USER_HEADER: "mallory", GROUPS_HEADER: "alpha-admins"})
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
        assert (await client.get("/api/images/x.png", headers={USER_HEADER: "mallory"})).status_code == 401
    assert user_queries.find_user(access, "mallory") is None


async def test_header_on_a_public_path_signs_no_one_in(web_user: User, access: DataAccess) -> None:
    async with _client_from("127.0.0.1") as client:
        assert (await client.get("/healthz", headers={USER_HEADER: "mallory"})).status_code == 200
        assert (await client.get("/runs")).status_code == 303
    assert user_queries.find_user(access, "mallory") is None


async def test_disabled_and_malformed_sso_users_are_refused(web_user: User, access: DataAccess) -> None:
    user_queries.create_user(access, "frank", "correct horse battery", Role.EDITOR)
    user_queries.set_disabled(access, "frank", True)
    async with _client_from("127.0.0.1") as client:
        assert (await client.get("/", headers={USER_HEADER: "frank"})).status_code == 403
        assert (await client.get("/", headers={USER_HEADER: "../../etc"})).status_code == 403
        assert (await client.get("/", headers={USER_HEADER: "<script>"})).status_code == 403
    assert [u.name for u in user_queries.list_users(access)] == ["frank"]


async def test_a_new_header_user_replaces_the_session_user(web_user: User, access: DataAccess) -> None:
    async with _client_from("127.0.0.1") as client:
        await client.get("/", headers={USER_HEADER: "gina"})
        await client.get("/", headers={USER_HEADER: "hugo"})
        user_queries.set_disabled(access, "gina", True)
        assert (await client.get("/", headers={USER_HEADER: "gina"})).status_code == 403  # checked again on switch
        assert (await client.get("/", headers={USER_HEADER: "hugo"})).status_code == 200


def test_group_mapping_picks_the_highest_role() -> None:
    config = ProxyLoginConfig.parse(
        USER_HEADER, GROUPS_HEADER, ["10.0.0.0/8", "fd00::/8"], {"a": "editor", "b": "admin"}
    )
    assert config.role_for("x, a") == Role.EDITOR and config.role_for("a,b") == Role.ADMIN
    assert config.role_for("") == Role.VIEWER
    assert config.is_trusted("10.1.2.3") and config.is_trusted("fd00::1")
    assert not config.is_trusted("11.0.0.1") and not config.is_trusted(None) and not config.is_trusted("junk")
    with pytest.raises(ValueError, match="does not appear"):
        ProxyLoginConfig.parse(USER_HEADER, GROUPS_HEADER, ["not-a-net"], {})
    with pytest.raises(ValueError, match="superuser"):
        ProxyLoginConfig.parse(USER_HEADER, GROUPS_HEADER, [], {"a": "superuser"})


def test_production_refuses_to_start_without_a_storage_secret(tmp_path: Path) -> None:
    with pytest.raises(ProductionConfigError, match="ALPACA_DASH_STORAGE_SECRET"):
        storage_secret(Settings(production=True, data_dir=tmp_path))
    assert not (tmp_path / "storage-secret").exists()
    assert storage_secret(Settings(production=True, storage_secret="s3cret", data_dir=tmp_path)) == "s3cret"
    assert storage_secret(Settings(data_dir=tmp_path))  # development: a generated one


def test_a_generated_storage_secret_is_the_owners_only_and_kept(tmp_path: Path) -> None:
    previous = os.umask(0)  # the most permissive umask: the mode must come from the code, not the environment
    try:
        secret = storage_secret(Settings(data_dir=tmp_path / "data"))
    finally:
        os.umask(previous)
    path = tmp_path / "data" / "storage-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(secret) >= 32 and path.read_text().strip() == secret
    assert storage_secret(Settings(data_dir=tmp_path / "data")) == secret  # sessions survive a restart


@pytest.mark.parametrize("production", [True, False])
async def test_session_cookie_is_https_only_and_lax_in_production(production: bool) -> None:
    async def touch(request: Request) -> PlainTextResponse:
        request.session["id"] = "x"
        return PlainTextResponse("ok")

    options = session_cookie_options(Settings(production=production))
    middleware = [Middleware(SessionMiddleware, secret_key="k", **options)]
    transport = httpx.ASGITransport(Starlette(routes=[Route("/", touch)], middleware=middleware))
    async with httpx.AsyncClient(transport=transport, base_url="https://test") as client:
        cookie = (await client.get("/")).headers["set-cookie"]
    assert "samesite=lax" in cookie.lower()
    assert ("secure" in cookie.lower()) is production


async def test_an_sso_name_never_signs_into_a_local_account_by_default(web_user: User, access: DataAccess) -> None:
    user_queries.create_user(access, "ivan", "correct horse battery", Role.ADMIN)  # local, with a password
    async with _client_from("127.0.0.1") as client:
        response = await client.get("/admin", headers={USER_HEADER: "ivan"})
        assert response.status_code == 403 and "local account" in response.text
        assert (await client.get("/runs")).status_code == 303  # and no session was made
    async with _client_from("127.0.0.1") as client:  # an account made by SSO keeps working
        assert (await client.get("/", headers={USER_HEADER: "jana"})).status_code == 200
        assert (await client.get("/", headers={USER_HEADER: "jana"})).status_code == 200


def test_linking_sso_to_local_accounts_is_a_setting(access: DataAccess) -> None:
    from alpaca_dash.web.proxy_login import LOCAL_TAKEN, find_or_create

    local = user_queries.create_user(access, "kim", "correct horse battery", Role.EDITOR)
    assert find_or_create(access, "kim", Role.VIEWER) == LOCAL_TAKEN
    assert find_or_create(access, "kim", Role.VIEWER, link_local=True) == local
    with pytest.raises(ValueError, match="refuse or link"):
        ProxyLoginConfig.parse(USER_HEADER, GROUPS_HEADER, [], {}, "viewer", "merge")
