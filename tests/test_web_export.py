"""The Parquet export endpoint: authenticated, bounded, and its content read back and compared."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable

import numpy as np
import pyarrow.parquet as pq
from nicegui.testing.user import User
from polling import RETRIES, TIMEOUT, wait_until

from alpaca_dash.content.spec import DashboardSpec, GridPosition, PanelSpec
from alpaca_dash.export import read_arrays
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries import values
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observables import get_observables
from alpaca_dash.queries.values import load_value
from alpaca_dash.sources.simulated import CCD, ELENA, SSPALS
from alpaca_dash.web.dashboard.data_download import human_bytes
from alpaca_dash.web.export_route import export_url

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]
SCALAR = f"{ELENA}*H_offset_mm"
WAVE = f"{SSPALS}*V"


async def test_export_reads_back_the_stored_values(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    url = export_url([SCALAR, WAVE, CCD], "390001-390003")
    assert (await web_user.http_client.get(url)).status_code == 401
    await log_in(web_user, "victor")
    response = await web_user.http_client.get(url)
    assert response.status_code == 200, response.text
    assert "alpaca-runs-390001-390003.parquet" in response.headers["content-disposition"]
    table = pq.read_table(io.BytesIO(response.content))
    assert table.column("run").to_pylist() == [390001, 390002, 390003]
    scalar, wave, ccd = get_observables(seeded_access, [SCALAR, WAVE, CCD])
    images = read_arrays(table, CCD)
    for row, run in enumerate([390001, 390002, 390003]):
        expected_scalar = load_value(seeded_access, scalar, run)
        expected_wave = load_value(seeded_access, wave, run)
        expected_image = load_value(seeded_access, ccd, run)
        assert expected_scalar is not None and expected_wave is not None and expected_image is not None
        assert table.column(SCALAR)[row].as_py() == expected_scalar.item()
        got = np.asarray(table.column(WAVE)[row].as_py(), dtype=expected_wave.dtype)
        np.testing.assert_array_equal(got, expected_wave)
        image = images[row]
        assert image is not None and image.dtype == expected_image.dtype and image.shape == expected_image.shape
        assert image.tobytes() == expected_image.tobytes()
    assert not list(seeded_access.settings.data_dir.glob("alpaca-export-*"))  # the temporary file is gone


async def test_export_refuses_bad_requests(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    await log_in(web_user, "victor")
    too_many = f"0-{seeded_access.settings.max_range}"
    assert (await web_user.http_client.get(export_url([SCALAR], too_many))).status_code == 400
    assert (await web_user.http_client.get(export_url([SCALAR], "5-1"))).status_code == 400
    assert (await web_user.http_client.get(export_url(["no such thing"], "1-2"))).status_code == 404
    assert (await web_user.http_client.get("/api/export?runs=1-2")).status_code == 400


async def test_panel_csv_and_dashboard_parquet_downloads(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    spec = DashboardSpec(
        panels=[
            PanelSpec(id="trend", type="trend", title="H trend", observables=[SCALAR]),
            PanelSpec(id="stat", type="stat", observables=[SCALAR], layout=GridPosition(x=4)),
        ]
    )
    made = store.create_dashboard(seeded_access, accounts["alice"], "Downloads", spec)
    store.set_visibility(seeded_access, made.id, accounts["alice"], "shared_read")
    await log_in(web_user, "victor")  # viewers may download too (viewers make no dashboards of their own)
    await web_user.open(f"/dashboard/{made.id}?run=390003&runs=390001-390003")
    await web_user.should_see(marker="csv-trend", retries=RETRIES)
    client = web_user.client
    assert client is not None

    def states() -> list[str]:
        return [e.props["data-state"] for e in client.elements.values() if "data-panel" in e.props]

    await wait_until(lambda: states() == ["ready", "ready"], lambda: f"both panels drawn, not {states()}")
    web_user.find(marker="csv-trend").click()
    response = await web_user.download.next(timeout=TIMEOUT)
    lines = response.text.splitlines()  # every run of the range, as stored
    assert lines[0] == f"run,{SCALAR},good" and [line.split(",")[0] for line in lines[1:]] == [
        "390001",
        "390002",
        "390003",
    ]

    web_user.find(marker="export-data").click()  # a choice first: the panels' observables over the trend runs
    await web_user.should_see(marker="download-estimate", retries=RETRIES)
    estimate = next(iter(web_user.find(marker="download-estimate").elements))
    await wait_until(lambda: "About 24 B of values for 1 observables over runs 390001-390003" in estimate.text,  # type: ignore[attr-defined]
                     lambda: f"the estimate, not {estimate.text!r}")  # type: ignore[attr-defined]  # fmt: skip
    web_user.find(marker="download-start").click()
    response = await web_user.download.next(timeout=TIMEOUT)
    table = pq.read_table(io.BytesIO(response.content))
    assert table.column("run").to_pylist() == [390001, 390002, 390003] and table.column_names == ["run", SCALAR]


async def test_a_data_download_larger_than_allowed_is_refused_before_it_starts(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    spec = DashboardSpec(panels=[PanelSpec(id="ccd", type="image", observables=[CCD])])
    made = store.create_dashboard(seeded_access, accounts["alice"], "Images", spec)
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}?run=390003&runs=390000-390003")
    await web_user.should_see(marker="export-data", retries=RETRIES)
    web_user.find(marker="export-data").click()
    await web_user.should_see(marker="download-estimate", retries=RETRIES)
    estimate = next(iter(web_user.find(marker="download-estimate").elements))
    await wait_until(lambda: "About" in estimate.text, "the estimate")  # type: ignore[attr-defined]
    stored = sum(values.stored_sizes(seeded_access, get_observables(seeded_access, [CCD])[0], 390000, 390003).values())
    assert f"About {human_bytes(stored)} of values for 1 observables" in estimate.text  # type: ignore[attr-defined]
    start = next(iter(web_user.find(marker="download-start").elements))
    assert start.enabled  # type: ignore[attr-defined]
    web_user.find(marker="download-runs").clear().type("390003-390003")
    await wait_until(lambda: "runs 390003-390003" in estimate.text, "the estimate of one run")  # type: ignore[attr-defined]
    web_user.find(marker="download-runs").clear().type("5-1")
    await wait_until(lambda: not start.enabled, "a reversed range refused")  # type: ignore[attr-defined]


async def test_a_panels_data_download_is_the_stored_data(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    """A waveform's CSV has every sample (against t, with the reference run's column), an image's .npy the whole
    array in its dtype: not the points or pixels drawn for the screen."""
    spec = DashboardSpec(
        panels=[
            PanelSpec(id="wave", type="line", observables=[WAVE], x=f"{SSPALS}*t"),
            PanelSpec(id="ccd", type="image", observables=[CCD], layout=GridPosition(x=6)),
        ],
        reference_run=390001,
    )
    made = store.create_dashboard(seeded_access, accounts["alice"], "Data", spec)
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}?run=390003")
    await web_user.should_see(marker="csv-wave", retries=RETRIES)
    wave, _time, ccd = get_observables(seeded_access, [WAVE, f"{SSPALS}*t", CCD])
    stored = load_value(seeded_access, wave, 390003)
    assert stored is not None

    web_user.find(marker="csv-wave").click()
    response = await web_user.download.next(timeout=TIMEOUT)
    rows = response.text.splitlines()
    assert rows[0] == f"{SSPALS}*t,{WAVE} run 390003,{WAVE} reference 390001"
    assert len(rows) == 1 + stored.size
    assert [np.float32(row.split(",")[1]) for row in rows[1:]] == stored.tolist()

    web_user.find(marker="npy-ccd").click()
    response = await web_user.download.next(timeout=TIMEOUT)
    image = np.load(io.BytesIO(response.content), allow_pickle=False)
    expected = load_value(seeded_access, ccd, 390003)
    assert expected is not None and image.dtype == expected.dtype
    np.testing.assert_array_equal(image, expected)
