"""Forwarded addresses on the real web server (a subprocess, a real HTTP client): X-Forwarded-For and the SSO
headers are believed from the configured proxies only, whatever uvicorn would believe by default."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from alpaca_dash.config import Settings
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.queries import users as user_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import Role
from alpaca_dash.timescale.database import Database
from alpaca_dash.web.forwarded import trusted_networks, uvicorn_proxy_options
from alpaca_dash.web.testserver import run_server

SSO = {
    "ALPACA_DASH_SSO_USER_HEADER": "X-Forwarded-User",
    "ALPACA_DASH_SSO_GROUPS_HEADER": "X-Forwarded-Groups",
    "ALPACA_DASH_SSO_GROUP_ROLES": '{"admins": "admin"}',
}


@pytest.fixture
def site_access(fresh_schema_url: str, tmp_path: Path) -> Iterator[DataAccess]:
    database = Database(fresh_schema_url)
    database.migrate()
    access = DataAccess(database, ParquetStore(tmp_path / "parquet"), Settings(database_url=fresh_schema_url))
    user_queries.create_user(access, "adam", "correct horse battery", Role.ADMIN, sso=True)
    try:
        yield access
    finally:
        database.dispose()


def _get(url: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.get(url, headers=headers, follow_redirects=False, timeout=20)


def test_forged_forwarding_from_a_peer_that_is_no_proxy_is_ignored(
    site_access: DataAccess, fresh_schema_url: str, tmp_path: Path
) -> None:
    settings = {**SSO, "ALPACA_DASH_TRUSTED_PROXIES": '["10.20.0.0/16"]'}
    with run_server(fresh_schema_url, tmp_path / "site", settings=settings) as server:
        for name, groups in (("adam", ""), ("zed", "admins")):
            forged = {"X-Forwarded-User": name, "X-Forwarded-Groups": groups, "X-Forwarded-For": "10.20.0.5"}
            response = _get(f"{server.url}/admin", forged)
            assert response.status_code == 303, (name, response.text[:300])
            assert response.headers["location"].startswith("/login")
    assert user_queries.find_user(site_access, "zed") is None


def test_the_proxy_is_judged_by_its_own_address_not_the_forwarded_one(
    site_access: DataAccess, fresh_schema_url: str, tmp_path: Path
) -> None:
    settings = {**SSO, "ALPACA_DASH_TRUSTED_PROXIES": '["127.0.0.1/32"]'}
    with run_server(fresh_schema_url, tmp_path / "site", settings=settings) as server:
        through_proxy = {"X-Forwarded-User": "adam", "X-Forwarded-For": "198.51.100.7"}
        response = _get(f"{server.url}/admin", through_proxy)
        assert response.status_code == 200, response.text[:300]


@pytest.mark.parametrize("trusted", [[], ["10.0.0.0/8"], ["127.0.0.1", "::1/128"]])
def test_uvicorn_never_applies_its_own_forwarding_defaults(trusted: list[str]) -> None:
    options = uvicorn_proxy_options(trusted)
    assert options["proxy_headers"] is False  # the app does it, with exactly the trusted networks
    assert options["forwarded_allow_ips"] == ",".join(trusted_networks(trusted))


@pytest.mark.parametrize("bad", ["*", "example.org", "10.0.0.0/33", ""])
def test_a_trusted_proxy_must_be_an_address_or_network(bad: str) -> None:
    with pytest.raises(ValueError, match="does not appear"):
        trusted_networks([bad])
