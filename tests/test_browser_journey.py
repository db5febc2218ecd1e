"""The whole user journey in a real headless Chromium against the real server: log in, build a dashboard of
three panels, drag and resize them, reload, step through runs, and check that another user cannot see it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from page_scripts import probed_page
from playwright.sync_api import Browser, Page, expect
from polling import TIMEOUT_MS, wait_for

from alpaca_dash.content.spec import render_export
from alpaca_dash.queries import dashboards as store

if TYPE_CHECKING:
    from web_fixtures import BrowserSite

pytest_plugins = ["web_fixtures"]
pytestmark = [pytest.mark.browser, pytest.mark.slow]

SSPALS_V = "captorius3*acq_0*Channel_2_SSPALS*Y_[V]*V"
CCD = "5TCCD*acq_2*background_corrected*img_with_roi"
H_OFFSET = "ELENA_Parameters*H_offset_mm"


def log_in(page: Page, site: BrowserSite, name: str) -> None:
    page.goto(site.url + "/")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Dashboards", timeout=TIMEOUT_MS)


def add_panel(page: Page, search: str, observable: str, title: str) -> None:
    page.get_by_label("Search observables").fill(search)
    # the search is debounced and filtered on the server: wait until the tree shows what the count says
    page.wait_for_function(
        "probes.treeShowsWhatItFound",
        timeout=TIMEOUT_MS,
    )
    page.locator(f'[data-observable="{observable}"]').click()
    dialog = page.locator(".q-dialog")
    expect(dialog.get_by_text("Add panel")).to_be_visible(timeout=TIMEOUT_MS)
    dialog.get_by_label("Title").fill(title)
    dialog.get_by_role("button", name="Save panel").click()
    expect(page.locator(".panel-title", has_text=title)).to_be_visible(timeout=TIMEOUT_MS)


def layout_of(page: Page) -> dict[str, tuple[str | None, ...]]:
    items = page.locator(".grid-stack-item")
    result = {}
    for i in range(items.count()):
        item = items.nth(i)
        key = item.locator(".panel-title").inner_text()
        result[key] = tuple(item.get_attribute(f"gs-{a}") for a in ("x", "y", "w", "h"))
    return result


def wait_for_panels(page: Page, count: int) -> None:
    expect(page.locator("[data-panel]")).to_have_count(count, timeout=TIMEOUT_MS)
    expect(page.locator('[data-panel][data-state="loading"]')).to_have_count(0, timeout=TIMEOUT_MS)
    page.wait_for_function(
        "probes.allPainted",
        timeout=TIMEOUT_MS,
    )


def saved_layout(site: BrowserSite, dashboard_id: int) -> dict[str, tuple[str | None, ...]]:
    saved = store.get_dashboard(site.access, dashboard_id, site.users["alice"])
    assert saved is not None
    return {p.title: (str(p.layout.x), str(p.layout.y), str(p.layout.w), str(p.layout.h)) for p in saved.spec.panels}


def wait_until_saved(page: Page, site: BrowserSite, dashboard_id: int) -> dict[str, tuple[str | None, ...]]:
    """The layout on screen, once the database holds the same one (the grid saves as the user moves things)."""
    wait_for(
        lambda: layout_of(page) == saved_layout(site, dashboard_id),
        lambda: f"the layout on screen {layout_of(page)} saved, not {saved_layout(site, dashboard_id)}",
    )
    return layout_of(page)


def test_build_arrange_reload_switch_runs_and_privacy(
    browser_site: BrowserSite, chromium: Browser, tmp_path: Path
) -> None:
    site = browser_site
    page = probed_page(chromium, viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    log_in(page, site, "alice")
    page.get_by_label("New dashboard title").fill("Journey")
    page.get_by_role("button", name="Create").click()
    expect(page).to_have_url(re.compile(r"/dashboard/\d+"), timeout=TIMEOUT_MS)
    page.get_by_role("button", name="Observables").click()
    add_panel(page, "SSPALS", SSPALS_V, "My SSPALS")
    add_panel(page, "img_with_roi", CCD, "My CCD")
    add_panel(page, "H_offset", H_OFFSET, "My H offset")
    page.get_by_role("button", name="Observables").click()
    wait_for_panels(page, 3)
    assert page.locator('[data-panel][data-state="ready"]').count() == 3
    assert points_drawn(page, "My SSPALS") >= 100  # the packed series was decoded and drawn

    # drag the stat panel by its header to the right, then resize the image panel from its corner
    dashboard_id = int(re.search(r"/dashboard/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    stat = page.locator(".grid-stack-item", has=page.locator(".panel-title", has_text="My H offset"))
    head = stat.locator(".panel-head").bounding_box()
    grid = page.locator(".grid-stack").bounding_box()
    assert head is not None and grid is not None
    page.mouse.move(head["x"] + 40, head["y"] + 10)
    page.mouse.down()
    page.mouse.move(grid["x"] + grid["width"] * 0.75, head["y"] + 15, steps=12)
    page.mouse.move(grid["x"] + grid["width"] * 0.80, head["y"] + 20, steps=4)
    page.mouse.up()
    dragged = wait_until_saved(page, site, dashboard_id)
    assert dragged["My H offset"][0] != "0"
    image = page.locator(".grid-stack-item", has=page.locator(".panel-title", has_text="My CCD"))
    image.scroll_into_view_if_needed()
    image.locator(".panel-head").hover()
    handle = image.locator(".ui-resizable-se").bounding_box()
    assert handle is not None
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(handle["x"] + 220, handle["y"] + 160, steps=12)
    page.mouse.up()
    arranged = wait_until_saved(page, site, dashboard_id)
    assert arranged["My CCD"][2:] != dragged["My CCD"][2:]
    wait_for_panels(page, 3)
    expect_square_pixels(page, "My CCD")

    page.reload()
    wait_for_panels(page, 3)
    assert layout_of(page) == arranged == saved_layout(site, dashboard_id)

    # step through runs: the URL follows, every panel repaints, a run that does not exist is reported
    stat_text = stat_value(page)
    page.get_by_role("button").filter(has=page.locator("i", has_text="chevron_left")).click()
    expect(page).to_have_url(re.compile(r"run=390002"), timeout=TIMEOUT_MS)
    wait_for_panels(page, 3)
    wait_for(lambda: stat_value(page) != stat_text, "the panels repainted with the other run's values")
    assert points_drawn(page, "My SSPALS") >= 100
    field = page.get_by_label("Run", exact=True)
    field.fill("390000")
    field.press("Enter")
    expect(page).to_have_url(re.compile(r"run=390000"), timeout=TIMEOUT_MS)
    wait_for_panels(page, 3)
    field.fill("123456")
    field.press("Enter")
    expect(page.get_by_text("Run 123456 does not exist.")).to_be_visible(timeout=TIMEOUT_MS)
    page.goto(site.url + f"/dashboard/{dashboard_id}?run=390001&theme=dark")
    wait_for_panels(page, 3)
    expect(page.locator("body.body--dark")).to_have_count(1)
    expect(page.get_by_label("Run", exact=True)).to_have_value("390001")

    # a dashboard exported as JSON comes back through the Import button's file chooser
    exported = tmp_path / "journey.json"
    journey = store.get_dashboard(site.access, dashboard_id, site.users["alice"])
    assert journey is not None
    exported.write_bytes(render_export("Journey, imported", journey.spec))
    page.goto(site.url + "/")
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Import JSON").click()
    chooser.value.set_files(str(exported))
    expect(page.get_by_role("link", name="Journey, imported")).to_be_visible(timeout=TIMEOUT_MS)

    # another user sees none of it
    other = probed_page(chromium)
    log_in(other, site, "bob")
    expect(other.get_by_text("No dashboards yet")).to_be_visible(timeout=TIMEOUT_MS)
    expect(other.get_by_text("Journey")).to_have_count(0)
    other.goto(site.url + f"/dashboard/{dashboard_id}")
    expect(other.get_by_text("belongs to someone else")).to_be_visible(timeout=TIMEOUT_MS)
    assert not [text for text in errors if "convert" in text or "alpaca" in text], errors


def expect_square_pixels(page: Page, title: str) -> None:
    """The image of the panel titled ``title`` fills its chart along one side, with square pixels."""
    page.wait_for_function("probes.squarePixels", arg=title, timeout=TIMEOUT_MS, polling=100)


def points_drawn(page: Page, title: str) -> int:
    """How many points the chart of the panel titled ``title`` holds, as ECharts has them."""
    return int(page.evaluate("probes.pointsDrawn", title))


def stat_value(page: Page) -> str:
    """The stat panel's number, as ECharts draws it (read from the chart's option in the browser)."""
    return str(page.evaluate("probes.statText", "My H offset"))
