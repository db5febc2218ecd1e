"""Fixtures for the web tests: a data handle on a fresh schema, seeded runs, accounts, and a simulated browser.

Use with ``pytest_plugins = ["web_fixtures"]`` at the top of a test module.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from nicegui import app, core
from nicegui.storage import Storage, request_contextvar
from nicegui.testing.user import User
from nicegui.testing.user_simulation import user_simulation
from playwright.sync_api import Browser, sync_playwright

from alpaca_dash.config import Settings
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_range
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import Role, create_user
from alpaca_dash.sources.simulated import SimulatedSource
from alpaca_dash.timescale.database import Database
from alpaca_dash.web.testserver import run_server

PASSWORD = "correct horse battery"
FIRST_RUN = 390000
SEEDED_RUNS = 4
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def access(db: Database, store: ParquetStore, tmp_path: Path) -> DataAccess:
    """A data handle on a migrated, empty schema."""
    return DataAccess(db, store, Settings(database_url=db.url, data_dir=tmp_path / "data"))


@pytest.fixture
def seeded_access(access: DataAccess, simulated: SimulatedSource) -> DataAccess:
    """The data handle with the first runs of the small simulated source ingested."""
    result = ingest_range(access.db, access.store, simulated, FIRST_RUN, FIRST_RUN + SEEDED_RUNS - 1)
    assert result.ingested == list(range(FIRST_RUN, FIRST_RUN + SEEDED_RUNS))
    return access


@pytest.fixture
def accounts(access: DataAccess) -> dict[str, int]:
    """Two editors, ``alice`` and ``bob``, and a viewer ``victor``, all with ``PASSWORD``; name to id."""
    made = [
        create_user(access, "alice", PASSWORD, Role.EDITOR),
        create_user(access, "bob", PASSWORD, Role.EDITOR),
        create_user(access, "victor", PASSWORD, Role.VIEWER),
    ]
    return {user.name: user.id for user in made}


#: the data handle tests/web_main.py serves, set by ``web_user`` for the length of one test
serving: list[DataAccess] = []
WEB_MAIN = Path(__file__).with_name("web_main.py")


@pytest.fixture
async def web_user(access: DataAccess, tmp_path: Path) -> AsyncIterator[User]:
    """A simulated browser on the real pages, served against ``access``: NiceGUI's ``user_simulation`` running
    tests/web_main.py, which registers the pages as ``alpaca-dash serve`` does."""
    kept_modules = {name: module for name, module in sys.modules.items() if name.startswith("alpaca_dash")}
    Storage.path = tmp_path / "nicegui-storage"  # sessions of this test only, not ./.nicegui
    app.storage = Storage()
    serving[:] = [access]
    try:
        async with user_simulation(main_file=WEB_MAIN) as user:
            yield user
    finally:
        serving.clear()
        # the reset drops the modules of page functions from sys.modules; keep the ones this process already holds
        sys.modules.update(kept_modules)


@pytest.fixture
async def other_user(web_user: User) -> AsyncIterator[User]:
    """A second simulated browser on the same app as ``web_user``: another screen, with its own session."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(core.app), base_url="http://test") as client:
        yield User(client)


@dataclass(frozen=True)
class BrowserSite:
    """The real server in a subprocess, with ``alice`` and ``bob`` (editors, ``PASSWORD``) and seeded runs."""

    url: str
    access: DataAccess
    users: dict[str, int]


@pytest.fixture
def browser_site(fresh_schema_url: str, tmp_path: Path) -> Iterator[BrowserSite]:
    database = Database(fresh_schema_url)
    database.migrate()
    data_dir = tmp_path / "site"
    store = ParquetStore(data_dir / "parquet", fsync=False)
    source = SimulatedSource(seed=11, first_run=FIRST_RUN, history=SEEDED_RUNS, image_size=256, waveform_samples=5000)
    ingest_range(database, store, source, FIRST_RUN, FIRST_RUN + SEEDED_RUNS - 1)
    site_access = DataAccess(database, store, Settings(database_url=fresh_schema_url, data_dir=data_dir))
    made = {name: create_user(site_access, name, PASSWORD, Role.EDITOR).id for name in ("alice", "bob")}
    try:
        with run_server(fresh_schema_url, data_dir) as server:
            try:
                yield BrowserSite(server.url, site_access, made)
            finally:
                print("--- server log ---\n" + server.log.read_text()[-5000:])  # shown when the test fails
    finally:
        database.dispose()


@pytest.fixture
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


LogIn = Callable[..., Awaitable[None]]


async def _log_in(user: User, name: str, password: str = PASSWORD, *, wait: bool = True) -> None:
    await user.open("/login")
    user.find("Username").type(name)
    user.find("Password").type(password)
    user.find("Log in").click()
    if wait:  # for the next page, which has the user menu
        await user.should_see(marker="user-menu", retries=100)
        # the browser's events carry the session of the page they come from; the simulation runs handlers in the
        # test's own context, which still holds the login page's request (the session before sign-in changed it)
        assert user.client is not None
        request_contextvar.set(user.client.request)


@pytest.fixture
def log_in() -> LogIn:
    """``await log_in(user, name, password=PASSWORD)`` signs in through the login page, as a person would, and
    waits for the page after it (``wait=False``: does not wait, for a login that should fail)."""
    return _log_in
