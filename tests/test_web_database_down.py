"""The database going away under open pages: a banner while it is unreachable, then recovery without a reload.

The app here connects as a role of its own, to a database of this test's own; the outage refuses that role's logins
(NOLOGIN) and ends its sessions, which to the app is a database that went away, while the test (as the superuser)
commits a run the app cannot hear of. The shared server itself keeps running for everybody else, and the other tests'
notifications (a channel is per database) are not heard here.

PostgreSQL may hand a new listener notifications committed just before it listened (it starts reading at the queue's
tail when nobody else listens), which would make the missed run arrive by luck; a witness listening through the
outage moves that start past the missed run, so only the page's own recovery can show it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from nicegui import ui
from nicegui.testing.user import User
from polling import TIMEOUT, wait_until
from psycopg import sql
from psycopg.conninfo import make_conninfo

from alpaca_dash.config import Settings
from alpaca_dash.content.spec import DashboardSpec, PanelSpec
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_run
from alpaca_dash.queries import dashboards
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.sources.simulated import ELENA, SimulatedSource
from alpaca_dash.timescale.database import Database
from alpaca_dash.timescale.notify import run_channel

pytest_plugins = ["web_fixtures"]
pytestmark = pytest.mark.slow
LogIn = Callable[..., Awaitable[None]]
NEW_RUN = 390004
BANNER = "database-down"
#: seconds to wait for the banner to go: the listener retries with backoff, at most 10 s apart
RECOVERY = 3 * TIMEOUT


class Outage:
    """Makes the database unreachable for the app's role, and reachable again."""

    def __init__(self, admin_url: str, role: str, db: Database, store: ParquetStore, source: SimulatedSource) -> None:
        self.admin_url = admin_url
        self.role = role
        self.db, self.store, self.source = db, store, source
        self.witness: psycopg.Connection[tuple[object, ...]] | None = None

    def _execute(self, statement: sql.Composed) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(statement)

    def begin(self) -> None:
        """Refuse the role's new connections, then end its open ones (in that order, so none slips back in)."""
        self._execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(self.role)))
        self._execute(
            sql.SQL("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = {}").format(
                sql.Literal(self.role)
            )
        )

    def end(self) -> None:
        self._execute(sql.SQL("ALTER ROLE {} LOGIN").format(sql.Identifier(self.role)))

    def commit_unheard_run(self) -> None:
        """Ingest ``NEW_RUN`` as the superuser, while the app cannot hear its notification; the witness hears it."""
        self.witness = psycopg.connect(self.admin_url, autocommit=True)
        self.witness.execute(sql.SQL("LISTEN {}").format(sql.Identifier(run_channel(self.witness))))
        ingest_run(self.db, self.store, self.source, NEW_RUN)
        assert [note.payload for note in self.witness.notifies(timeout=10, stop_after=1)] == [str(NEW_RUN)]

    def close(self) -> None:
        self.end()
        self.begin()  # whatever the app left open
        if self.witness is not None:
            self.witness.close()


@pytest.fixture
def fresh_schema_url(empty_database_url: str) -> str:
    """A new database instead of a schema in the shared one; dropped afterwards."""
    return empty_database_url


@pytest.fixture
def outage(db: Database, fresh_schema_url: str, store: ParquetStore, simulated: SimulatedSource) -> Iterator[Outage]:
    """A login role with the rights the app needs in the test's database; dropped afterwards."""
    role = f"alpaca_app_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(fresh_schema_url, autocommit=True) as conn:
        schema = sql.Identifier(str(conn.execute("SELECT current_schema()").fetchone()[0]))  # type: ignore[index]
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        for grant in (
            "GRANT USAGE ON SCHEMA {} TO {}",
            "GRANT ALL ON ALL TABLES IN SCHEMA {} TO {}",
            "GRANT ALL ON ALL SEQUENCES IN SCHEMA {} TO {}",
        ):
            conn.execute(sql.SQL(grant).format(schema, sql.Identifier(role)))
    down = Outage(fresh_schema_url, role, db, store, simulated)
    try:
        yield down
    finally:
        down.close()
        with psycopg.connect(fresh_schema_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


@pytest.fixture
def access(outage: Outage, fresh_schema_url: str, store: ParquetStore, tmp_path: Path) -> Iterator[DataAccess]:
    """The app's data handle, connected as the outage's role (the test's ``db`` stays the superuser's)."""
    app_db = Database(make_conninfo(fresh_schema_url, user=outage.role))
    try:
        yield DataAccess(app_db, store, Settings(database_url=app_db.url, data_dir=tmp_path / "data"))
    finally:
        app_db.dispose()


def field_value(user: User, label: str) -> object:
    assert user.client is not None
    field = next(e for e in user.client.elements.values() if isinstance(e, ui.number) and e.props["label"] == label)
    return field.value


def panel_state(user: User) -> str:
    assert user.client is not None
    states = [str(e.props["data-state"]) for e in user.client.elements.values() if "data-panel" in e.props]
    return states[0] if states else ""


def runs_listed(user: User) -> list[int]:
    assert user.client is not None
    table = next(e for e in user.client.elements.values() if isinstance(e, ui.table) and e.props["row-key"] == "run")
    return [row["run"] for row in table.rows]


def banner_shown(user: User) -> bool:
    assert user.client is not None
    return any(e.visible for e in user.client.elements.values() if BANNER in e._markers)


async def ride_out(user: User, outage: Outage, unchanged: Callable[[], bool]) -> None:
    """Take the database away under the open page, commit a run meanwhile and bring the database back: the banner
    shows during the outage (while the page stays as it was) and goes when the database is back."""
    assert not banner_shown(user)
    page = user.client
    await asyncio.to_thread(outage.begin)
    await wait_until(lambda: banner_shown(user), "the banner")
    await user.should_see("Database unreachable")
    await asyncio.to_thread(outage.commit_unheard_run)
    await asyncio.sleep(0.5)
    assert banner_shown(user) and unchanged()
    await asyncio.to_thread(outage.end)
    await wait_until(lambda: not banner_shown(user), "the banner to go", RECOVERY)
    assert user.client is page  # the same page, never reloaded


async def test_a_live_dashboard_shows_a_banner_then_recovers_without_a_reload(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn, outage: Outage
) -> None:
    spec = DashboardSpec(panels=[PanelSpec(id="stat", type="stat", observables=[f"{ELENA}*H_offset_mm"])])
    made = dashboards.create_dashboard(seeded_access, accounts["alice"], "Outage", spec)
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}?live=1")
    await wait_until(lambda: field_value(web_user, "Run") == 390003 and panel_state(web_user) == "ready", "the page")
    await ride_out(web_user, outage, lambda: field_value(web_user, "Run") == 390003)
    await wait_until(lambda: field_value(web_user, "Run") == NEW_RUN, "the run committed during the outage")
    await wait_until(lambda: panel_state(web_user) == "ready", "the panel drawn again")


@pytest.mark.usefixtures("seeded_access", "accounts")
async def test_the_runs_page_shows_the_banner_and_lists_runs_committed_meanwhile(
    web_user: User, log_in: LogIn, outage: Outage
) -> None:
    await log_in(web_user, "victor")
    await web_user.open("/runs")
    await wait_until(lambda: NEW_RUN - 1 in runs_listed(web_user), "the runs table")
    await ride_out(web_user, outage, lambda: NEW_RUN not in runs_listed(web_user))
    await wait_until(lambda: NEW_RUN in runs_listed(web_user), "the run committed during the outage")
