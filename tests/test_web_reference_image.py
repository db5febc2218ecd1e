"""A reference run pinned per dashboard, shown by image panels beside the run's image or subtracted from it."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from typing import Any, cast

import numpy as np
import pytest
from controls import control
from nicegui import ui
from nicegui.testing.user import User
from PIL import Image
from polling import RETRIES, wait_until

from alpaca_dash.content.charts.image import ImageOptions
from alpaca_dash.content.colormaps import color_stops
from alpaca_dash.content.image_compare import (
    compared_image_option,
    comparison_problem,
    image_difference,
    shared_zrange,
    symmetric_limit,
)
from alpaca_dash.content.images import ZRange
from alpaca_dash.content.spec import DashboardSpec, GridPosition, PanelSpec
from alpaca_dash.domain import RunRecord
from alpaca_dash.pipeline.ingest import ingest_range
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess

from memory_source import MemorySource

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]
CAMERA = "camera*acq_0*img"
#: run 1 (the reference) and run 2 are 4 x 8 images; run 3 is of another shape
REFERENCE = np.arange(32, dtype=np.float32).reshape(4, 8) * 2
SHOWN = np.arange(32, dtype=np.float32).reshape(4, 8)
OTHER_SHAPE = np.arange(30, dtype=np.float32).reshape(6, 5)
Option = dict[str, Any]
#: the signs the labels use (a multiplication sign in sizes, a minus sign in the difference)
TIMES, MINUS = "\N{MULTIPLICATION SIGN}", "\N{MINUS SIGN}"


def indices(values: np.ndarray[Any, Any], low: float, high: float) -> np.ndarray[Any, Any]:
    """The palette index each value should get on a linear scale from ``low`` (0) to ``high`` (255)."""
    return np.floor(np.clip((values - low) * 255 / (high - low), 0, 255) + 0.5).astype(np.uint8)


def decode(png: bytes) -> np.ndarray[Any, Any]:
    image = Image.open(io.BytesIO(png))
    assert image.mode == "P"
    return np.asarray(image)


def url_of(series: Option) -> str:
    return str(series[":renderItem"].split('"')[1])


# pure parts


def test_one_colour_scale_for_both_images() -> None:
    run, reference = np.array([[0.0, 10.0, np.nan]]), np.array([[5.0, 20.0, np.inf]])
    assert shared_zrange([run, reference], ZRange()) == (0.0, 20.0)
    assert shared_zrange([run, reference], ZRange("manual", low=2.0)) == (2.0, 20.0)
    assert shared_zrange([run - 4, reference], ZRange(log=True)) == (5.0, 20.0)  # positive values only
    low, high = shared_zrange([np.arange(100.0), np.arange(100.0, 200.0)], ZRange("percentile"))
    assert low == pytest.approx(1.99, abs=0.01) and high == pytest.approx(197.01, abs=0.01)
    assert shared_zrange([np.full((2, 2), np.nan)] * 2, ZRange()) == (0.0, 1.0)
    assert shared_zrange([np.array([[True, False]]), np.array([[False, False]])], ZRange()) == (0.0, 1.0)


def test_difference_on_a_scale_symmetric_about_zero() -> None:
    difference = image_difference(np.array([[1, 2], [3, 4]], dtype=np.uint16), np.array([[3, 2], [1, 0]], np.uint16))
    assert difference.dtype == np.float32 and difference.tolist() == [[-2.0, 0.0], [2.0, 4.0]]
    assert symmetric_limit(difference, ZRange()) == 4.0
    assert symmetric_limit(difference, ZRange("manual", 100.0, 200.0)) == 4.0  # bounds of values, not differences
    assert symmetric_limit(np.arange(-100.0, 101.0), ZRange("percentile", percentile_high=50)) == 50.0
    assert symmetric_limit(np.zeros((2, 2)), ZRange()) == 1.0
    with_nan = image_difference(np.array([[np.nan, 1.0]]), np.array([[0.0, np.nan]]))
    assert with_nan.tolist() == [[0.0, 0.0]]  # a pixel missing in either image is drawn neutral


def test_images_that_cannot_be_compared_say_why() -> None:
    assert comparison_problem(SHOWN, REFERENCE) == ""
    assert comparison_problem(SHOWN, None) == "has no image"
    assert comparison_problem(SHOWN, OTHER_SHAPE) == f"is 5{TIMES}6, not 8{TIMES}4: not compared"


def draw(view: str, reference: Any) -> tuple[Option, dict[str, bytes]]:
    """The compared option of a 4 x 8 image panel, with the PNGs it published by URL."""
    published: dict[str, bytes] = {}

    def publish(png: bytes) -> str:
        published[f"/png/{len(published)}"] = png
        return f"/png/{len(published) - 1}"

    def load() -> np.ndarray[Any, Any] | None:
        if isinstance(reference, Exception):
            raise reference
        return cast("np.ndarray[Any, Any] | None", reference)

    spec = PanelSpec(id="p", type="image", observables=[CAMERA], options=ImageOptions(reference_view=view))
    option = compared_image_option(
        spec.options_as(ImageOptions), SHOWN, "", (600, 300), publish, run=2, reference=1, load_reference=load
    )
    return option, published


def test_side_by_side_draws_both_on_the_shared_scale() -> None:
    option, published = draw("side", REFERENCE)
    run, reference, _ = option["series"]
    assert (run["name"], reference["name"]) == ("run 2", "reference 1")
    assert (option["visualMap"]["min"], option["visualMap"]["max"]) == (0.0, 62.0)
    np.testing.assert_array_equal(decode(published[url_of(run)]), indices(SHOWN, 0, 62))
    np.testing.assert_array_equal(decode(published[url_of(reference)]), indices(REFERENCE, 0, 62))
    assert decode(published[url_of(run)]).max() == 128  # the run's brightest pixel is half the reference's


def test_difference_draws_run_minus_reference_in_coolwarm() -> None:
    option, published = draw("difference", REFERENCE)
    image, _ = option["series"]
    assert image["name"] == f"run 2 {MINUS} reference 1"
    assert (option["visualMap"]["min"], option["visualMap"]["max"]) == (-31.0, 31.0)
    assert option["visualMap"]["inRange"]["color"] == color_stops("coolwarm")
    drawn = decode(published[url_of(image)])
    np.testing.assert_array_equal(drawn, indices(SHOWN - REFERENCE, -31, 31))
    assert drawn[0, 0] == 128 and drawn[-1, -1] == 0  # no difference is the neutral middle; the most negative, blue


@pytest.mark.parametrize(
    ("reference", "note"),
    [
        (OTHER_SHAPE, f"run 2 · reference 1 is 5{TIMES}6, not 8{TIMES}4: not compared"),
        (None, "run 2 · reference 1 has no image"),
        (OSError("sidecar file missing"), "run 2 · reference 1 unreadable (OSError)"),
    ],
)
def test_a_reference_that_cannot_be_compared_leaves_the_runs_own_image(reference: Any, note: str) -> None:
    option, published = draw("difference", reference)
    image, _ = option["series"]
    assert image["name"] == note and len(published) == 1
    assert (option["visualMap"]["min"], option["visualMap"]["max"]) == (0.0, 31.0)  # the run's own scale and map
    np.testing.assert_array_equal(decode(published[url_of(image)]), indices(SHOWN, 0, 31))


# on the dashboard


def camera_runs(access: DataAccess) -> None:
    images = {1: REFERENCE, 2: SHOWN, 3: OTHER_SHAPE}
    records = {run: RunRecord(run, None, None, {CAMERA: image}) for run, image in images.items()}
    assert ingest_range(access.db, access.store, MemorySource(records), 1, 3).ingested == [1, 2, 3]


def image_panels(user: User) -> dict[str, tuple[str, Option]]:
    """Each image panel's state and chart option, by panel id."""
    assert user.client is not None
    found = {}
    for element in user.client.elements.values():
        if "data-panel" in element.props:
            chart = next(e for e in element.descendants() if isinstance(e, ui.echart))
            found[str(element.props["data-panel"])] = (str(element.props["data-state"]), chart.options)
    return found


async def wait_for_names(user: User, expected: dict[str, list[str]]) -> dict[str, Option]:
    """Wait until every panel is ready with image series of these names; their options."""

    def names() -> dict[str, list[str]]:
        return {
            panel: [str(s.get("name", "")) for s in option["series"] if s["type"] == "custom"]
            for panel, (state, option) in image_panels(user).items()
            if state == "ready"
        }

    await wait_until(lambda: names() == expected, lambda: f"image series {expected}, not {names()}")
    return {panel: option for panel, (_, option) in image_panels(user).items()}


async def fetch_png(user: User, series: Option) -> np.ndarray[Any, Any]:
    response = await user.http_client.get(url_of(series))
    assert response.status_code == 200
    return decode(response.content)


async def test_pinned_reference_beside_and_subtracted_from_the_runs_image(
    web_user: User, access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    camera_runs(access)
    difference = ImageOptions(reference_view="difference")
    spec = DashboardSpec(
        panels=[
            PanelSpec(id="side", type="image", observables=[CAMERA]),
            PanelSpec(id="diff", type="image", observables=[CAMERA], options=difference, layout=GridPosition(x=4)),
        ]
    )
    made = store.create_dashboard(access, accounts["alice"], "Camera", spec)
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}?run=1")
    await wait_for_names(web_user, {"side": [""], "diff": [""]})
    web_user.find(marker="pin-reference").click()
    await web_user.should_see("Reference run: 1.", retries=RETRIES)
    await wait_for_names(web_user, {"side": [""], "diff": [""]})  # the reference is the shown run itself

    web_user.find(marker="run-next").click()
    options = await wait_for_names(web_user, {"side": ["run 2", "reference 1"], "diff": [f"run 2 {MINUS} reference 1"]})
    run, reference, _ = options["side"]["series"]
    np.testing.assert_array_equal(await fetch_png(web_user, run), indices(SHOWN, 0, 62))
    np.testing.assert_array_equal(await fetch_png(web_user, reference), indices(REFERENCE, 0, 62))
    assert len(options["side"]["grid"]) == 2 and options["side"]["visualMap"]["max"] == 62.0
    shown_minus_reference = await fetch_png(web_user, options["diff"]["series"][0])
    np.testing.assert_array_equal(shown_minus_reference, indices(SHOWN - REFERENCE, -31, 31))
    assert (options["diff"]["visualMap"]["min"], options["diff"]["visualMap"]["max"]) == (-31.0, 31.0)

    web_user.find(marker="run-next").click()  # run 3's image has another shape: shown alone, saying why
    note = f"run 3 · reference 1 is 8{TIMES}4, not 5{TIMES}6: not compared"
    options = await wait_for_names(web_user, {"side": [note], "diff": [note]})
    np.testing.assert_array_equal(await fetch_png(web_user, options["diff"]["series"][0]), indices(OTHER_SHAPE, 0, 29))

    web_user.find(marker="run-previous").click()
    await wait_for_names(web_user, {"side": ["run 2", "reference 1"], "diff": [f"run 2 {MINUS} reference 1"]})
    web_user.find(marker="clear-reference").click()  # image panels are drawn again without it
    await wait_for_names(web_user, {"side": [""], "diff": [""]})


async def test_the_reference_view_is_chosen_in_the_panel_dialog(
    web_user: User, access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    camera_runs(access)
    options = ImageOptions(reference_view="difference", colormap="gray")
    panel = PanelSpec(id="cam", type="image", observables=[CAMERA], options=options)
    made = store.create_dashboard(access, accounts["alice"], "Camera", DashboardSpec(panels=[panel], reference_run=1))
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}?run=2")
    await wait_for_names(web_user, {"cam": [f"run 2 {MINUS} reference 1"]})

    web_user.find(marker="edit-cam").click()
    await web_user.should_see("Edit panel", retries=RETRIES)
    view = control(web_user, "panel-reference-view")
    assert view.value == "difference"
    view.set_value("side")
    web_user.find(marker="panel-save").click()
    options_now = await wait_for_names(web_user, {"cam": ["run 2", "reference 1"]})
    assert options_now["cam"]["visualMap"]["inRange"]["color"] == color_stops("gray")
    found = store.get_dashboard(access, made.id, accounts["alice"])
    assert found is not None and found.spec.panels[0].options == ImageOptions(colormap="gray")
