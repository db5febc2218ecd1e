"""The admin page's settings section and the header's Admin link: for admins only, with every secret masked."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from nicegui import ui
from nicegui.testing.user import User
from polling import RETRIES

from alpaca_dash.alarms import outbox
from alpaca_dash.alarms.contact_points import Webhook
from alpaca_dash.alarms.notifier import deliver_due
from alpaca_dash.config import Settings
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.queries import users as user_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import Role
from alpaca_dash.timescale.database import Database
from alpaca_dash.web.testserver import free_port

pytest_plugins = ["web_fixtures"]
PASSWORD = "correct horse battery"
LogIn = Callable[..., Awaitable[None]]
SECRETS = {
    "storage": "cookie-signing-7f3a9c",
    "database": "pg-pass-51d0e2",
    "redis": "redis-pass-a88b41",
    "s3 key": "AKIAEXAMPLE0042",
    "s3 secret": "s3-secret-90ce77",
    "token": "elog-token-3e1d5f",
}


@pytest.fixture
def access(db: Database, store: ParquetStore, tmp_path: Path) -> DataAccess:
    """Settings with a secret in every place one can hide (the app still talks to the test database)."""
    settings = Settings(
        database_url=f"postgresql://alpaca:{SECRETS['database']}@db.example:5432/alpaca",
        data_dir=tmp_path / "data",
        storage_secret=SECRETS["storage"],
        redis_url=f"redis://:{SECRETS['redis']}@cache:6379/0",
        parquet_s3_uri=f"s3://{SECRETS['s3 key']}:{SECRETS['s3 secret']}@bucket/alpaca",
        elog_url_template=f"https://elog.example/run/{{run}}?access_token={SECRETS['token']}",
    )
    return DataAccess(db, store, settings)


@pytest.fixture
def ada(access: DataAccess, accounts: dict[str, int]) -> str:
    """An admin, besides the editors and the viewer."""
    return user_queries.create_user(access, "ada", PASSWORD, Role.ADMIN).name


def page_text(user: User) -> str:
    """Everything the page holds, as sent to the browser: texts, props and table rows of every element."""
    assert user.client is not None
    return json.dumps([element._to_dict() for element in user.client.elements.values()], default=str)


def shown_settings(user: User) -> dict[str, str]:
    assert user.client is not None
    table = next(e for e in user.client.elements.values() if isinstance(e, ui.table) and "settings-table" in e._markers)
    return {row["variable"]: row["value"] for row in table.rows}


async def test_an_admin_sees_the_settings_with_secrets_masked(
    web_user: User, access: DataAccess, ada: str, log_in: LogIn
) -> None:
    await log_in(web_user, ada)
    await web_user.open("/admin")
    await web_user.should_see(marker="settings-table", retries=RETRIES)
    await web_user.should_see("Create user")
    shown = shown_settings(web_user)
    assert shown["ALPACA_DASH_STORAGE_SECRET"] == "***"
    assert shown["ALPACA_DASH_DATABASE_URL"] == "postgresql://alpaca:***@db.example:5432/alpaca"
    assert shown["ALPACA_DASH_REDIS_URL"] == "redis://:***@cache:6379/0"
    assert shown["ALPACA_DASH_PARQUET_S3_URI"] == "s3://***@bucket/alpaca"
    assert shown["ALPACA_DASH_ELOG_URL_TEMPLATE"] == "https://elog.example/run/{run}?access_token=***"
    assert shown["ALPACA_DASH_MAX_RANGE"] == str(access.settings.max_range)  # the values in effect
    text = page_text(web_user)
    leaked = [name for name, secret in SECRETS.items() if secret in text]
    assert leaked == [], f"secrets in the page: {leaked}"


@pytest.mark.parametrize("name", ["alice", "victor"])
@pytest.mark.usefixtures("accounts")
async def test_only_admins_open_the_admin_page(web_user: User, log_in: LogIn, name: str) -> None:
    await log_in(web_user, name)
    await web_user.should_not_see(marker="admin-link")
    await web_user.open("/admin")
    await web_user.should_see(marker="admins-only", retries=RETRIES)
    await web_user.should_not_see(marker="settings-table")
    await web_user.should_not_see(marker="delivery-failures")
    await web_user.should_not_see("Create user")
    assert not any(secret in page_text(web_user) for secret in SECRETS.values())


async def test_the_header_links_to_the_admin_page_for_admins(web_user: User, ada: str, log_in: LogIn) -> None:
    await log_in(web_user, ada)
    await web_user.should_see(marker="admin-link")
    for path in ("/runs", "/jobs"):
        await web_user.open(path)
        await web_user.should_see(marker="admin-link", retries=RETRIES)
    web_user.find(marker="admin-link").click()
    await web_user.should_see(marker="settings-table", retries=RETRIES)


async def test_an_unreachable_contact_point_is_shown_with_the_reason_and_the_next_retry(
    web_user: User, access: DataAccess, ada: str, log_in: LogIn
) -> None:
    alarm = {"check": "offset", "observable": "ELENA_Parameters*H_offset_mm", "message": "3.2 above 3"}
    with access.db.begin() as conn:
        outbox.enqueue(conn, 390007, ["webhook"], [alarm], window=300)
    nobody = Webhook(f"http://127.0.0.1:{free_port()}/hook", timeout=2)  # a port no one listens on
    assert deliver_due(access.db, [nobody]) == 0
    await log_in(web_user, ada)
    await web_user.open("/admin")
    await web_user.should_see(marker="delivery-failures", retries=RETRIES)
    (table,) = web_user.find(marker="delivery-failures").elements
    assert isinstance(table, ui.table)
    (row,) = table.rows
    assert (row["contact_point"], row["run"], row["status"], row["attempts"]) == ("webhook", 390007, "retrying", 1)
    assert row["reason"].startswith("webhook unreachable: ConnectError")
    assert row["next_retry"] > "2000"  # a UTC time, a backoff after now
    await web_user.should_see("given up after 12 attempts")
