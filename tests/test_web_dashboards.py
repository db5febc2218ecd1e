"""The dashboards list and the dashboard page through NiceGUI's simulated browser, on a real database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from controls import control
from nicegui import ui
from nicegui.testing.user import User
from polling import RETRIES, wait_until

from alpaca_dash.content.charts.image import ImageOptions
from alpaca_dash.content.charts.packed import series_data
from alpaca_dash.content.spec import DashboardSpec, GridPosition, PanelSpec
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.sources.simulated import CCD, ELENA, SSPALS

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]


def panel_states(user: User) -> dict[str, str]:
    assert user.client is not None
    return {
        str(e.props["data-panel"]): str(e.props["data-state"])
        for e in user.client.elements.values()
        if "data-panel" in e.props
    }


async def wait_for_states(user: User, count: int) -> dict[str, str]:
    def loaded() -> dict[str, str] | None:
        states = panel_states(user)
        return states if len(states) == count and "loading" not in states.values() else None

    return await wait_until(loaded, lambda: f"{count} panels loaded, not {panel_states(user)}")


async def wait_for_run(user: User, run: int) -> None:
    def run_field() -> object:
        return control(user, "run-field").value

    await wait_until(
        lambda: run_field() == run and "loading" not in panel_states(user).values(),
        lambda: f"run {run} drawn, not run {run_field()} with panels {panel_states(user)}",
    )


def corrupt_sidecar(root: Path) -> None:
    for path in root.rglob("*.parquet"):
        path.write_bytes(b"not parquet at all")


def demo_spec() -> DashboardSpec:
    return DashboardSpec(
        panels=[
            PanelSpec(id="stat", type="stat", title="H offset", observables=[f"{ELENA}*H_offset_mm"]),
            PanelSpec(id="wave", type="line", observables=[f"{SSPALS}*V"], x=f"{SSPALS}*t", layout=GridPosition(x=4)),
            PanelSpec(id="hist", type="histogram", observables=[f"{SSPALS}*V"], layout=GridPosition(x=8)),
            PanelSpec(id="ccd", type="image", observables=[CCD], options=ImageOptions(z_mode="percentile")),
            PanelSpec(
                id="table",
                type="table",
                observables=[f"{ELENA}*H_offset_mm", f"{ELENA}*V_offset_mm", "SC56_coinc*event_count"],
                layout=GridPosition(x=4),
            ),
        ]
    )


async def test_create_from_the_list_then_another_user_sees_nothing(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    await log_in(web_user, "alice")
    await web_user.should_see("No dashboards yet", retries=RETRIES)
    web_user.find("New dashboard title").type("Positronium")
    web_user.find("Create").click()
    await web_user.should_see("Add panel", retries=RETRIES)
    assert [d.title for d in store.list_dashboards(seeded_access, accounts["alice"])] == ["Positronium"]
    mine = store.list_dashboards(seeded_access, accounts["alice"])[0].id

    web_user.find(marker="logout").click()
    await web_user.should_see("Sign in to Alpaca Dashboard", retries=RETRIES)
    await log_in(web_user, "bob")
    await web_user.should_see("No dashboards yet", retries=RETRIES)
    await web_user.should_not_see("Positronium")
    await web_user.open(f"/dashboard/{mine}")
    await web_user.should_see("belongs to someone else", retries=RETRIES)


async def test_every_chart_type_draws_for_a_run(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    made = store.create_dashboard(seeded_access, accounts["alice"], "All charts", demo_spec())
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}?run=390001")
    states = await wait_for_states(web_user, 5)
    assert states == {"stat": "ready", "wave": "ready", "hist": "ready", "ccd": "ready", "table": "ready"}
    charts = [e for e in web_user.client.elements.values() if isinstance(e, ui.echart)] if web_user.client else []
    line = next(c for c in charts if (c.options.get("series") or [{}])[0].get("type") == "line")
    assert 16 <= len(series_data(line.options["series"][0])) <= 2000
    image = next(c for c in charts if (c.options.get("series") or [{}])[0].get("type") == "custom")
    url = image.options["series"][0][":renderItem"].split('"')[1]
    response = await web_user.http_client.get(url)
    assert response.status_code == 200 and response.content.startswith(b"\x89PNG")
    table = next(e for e in web_user.client.elements.values() if isinstance(e, ui.table)) if web_user.client else None
    assert table is not None and [row["full_name"] for row in table.rows][1] == f"{ELENA}*V_offset_mm"
    assert [row["name"] for row in table.rows] == ["H_offset_mm", "V_offset_mm", "event_count"]
    assert table.rows[2]["value"].isdigit()


async def test_images_are_private_to_their_viewer(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    made = store.create_dashboard(seeded_access, accounts["alice"], "Images", demo_spec())
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}?run=390001")
    await wait_for_states(web_user, 5)
    assert web_user.client is not None
    image = next(e for e in web_user.client.elements.values() if isinstance(e, ui.echart) and "visualMap" in e.options)
    url = image.options["series"][0][":renderItem"].split('"')[1]
    web_user.find(marker="logout").click()
    await web_user.should_see("Sign in to Alpaca Dashboard", retries=RETRIES)
    assert (await web_user.http_client.get(url)).status_code == 401
    await log_in(web_user, "bob")
    await web_user.should_see("No dashboards yet", retries=RETRIES)
    assert (await web_user.http_client.get(url)).status_code == 404


async def test_run_selection_and_missing_runs(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    made = store.create_dashboard(seeded_access, accounts["alice"], "Runs", demo_spec())
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}?run=123")
    await web_user.should_see("Run 123 does not exist; showing the newest, 390003.", retries=RETRIES)
    await wait_for_states(web_user, 5)
    web_user.find(marker="run-previous").click()
    await wait_for_run(web_user, 390002)
    await wait_for_states(web_user, 5)
    web_user.find(marker="run-next").click()
    await wait_for_run(web_user, 390003)
    web_user.find(marker="run-next").click()
    await web_user.should_see("This is the newest run.", retries=RETRIES)
    control(web_user, "run-field").set_value(999999)
    web_user.find(marker="run-field").trigger("keydown.enter")
    await web_user.should_see("Run 999999 does not exist.", retries=RETRIES)


async def test_a_corrupt_image_file_breaks_only_its_panel(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    corrupt_sidecar(Path(seeded_access.store.root))
    made = store.create_dashboard(seeded_access, accounts["alice"], "Broken", demo_spec())
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}?run=390001")
    states = await wait_for_states(web_user, 5)
    assert states["ccd"] == "error"
    assert {k: v for k, v in states.items() if k != "ccd"} == {
        "stat": "ready",
        "wave": "ready",
        "hist": "ready",
        "table": "ready",
    }
    await web_user.should_see("SidecarError", retries=RETRIES)
