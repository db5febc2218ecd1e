"""In a real Chromium: what a run switch sends to the charts and what they then draw. All the panels of a run
switch get their new data in one websocket message (several when it would pass the message budget), the result is
what opening the page at that run draws, the next run's PNG is fetched before it is asked for, and a chart saves as
a PNG."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from page_scripts import probed_page
from playwright.sync_api import Browser, Page, WebSocket, expect
from polling import TIMEOUT_MS, wait_for
from test_browser_journey import CCD, SSPALS_V, log_in, wait_for_panels

from alpaca_dash.content.spec import DashboardSpec, GridPosition, PanelSpec
from alpaca_dash.queries import dashboards as store
from alpaca_dash.web.dashboard.budget import MESSAGE_BUDGET

if TYPE_CHECKING:
    from web_fixtures import BrowserSite

pytest_plugins = ["web_fixtures"]
pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: by panel id, what each chart's lines hold as ECharts has them, in a form that does not depend on the panel's exact
#: pixel width (which sets the downsampling): their first and last points and their lowest and highest values
#: the PNGs ECharts has drawn, in every chart


def series(page: Page) -> dict[str, str]:
    found: dict[str, str] = page.evaluate("probes.series")
    return found


def drawn_images(page: Page) -> list[str]:
    found: list[str] = page.evaluate("probes.drawnImages")
    return found


def poll(page: Page, check: Callable[[], bool], what: str) -> None:
    """Wait until ``check()`` holds; Playwright hands over the page's events (requests, frames) meanwhile."""
    wait_for(check, what, pause=lambda seconds: page.wait_for_timeout(seconds * 1000))


class Messages:
    """The websocket messages the page received, as they came over the wire."""

    def __init__(self, page: Page) -> None:
        self.received: list[str] = []
        page.on("websocket", self._watch)

    def _watch(self, socket: WebSocket) -> None:
        socket.on("framereceived", lambda payload: self.received.append(str(payload)))

    def since(self, start: int, *texts: str) -> list[str]:
        """The messages from the ``start``-th on that contain all of ``texts``."""
        return [message for message in self.received[start:] if all(text in message for text in texts)]


def previous_run(page: Page) -> None:
    page.get_by_role("button").filter(has=page.locator("i", has_text="chevron_left")).click()


def line_dashboard(site: BrowserSite, count: int, width: int) -> int:
    panels = [
        PanelSpec(id=f"line{i}", type="line", observables=[SSPALS_V], layout=GridPosition(x=0, y=4 * i, w=width, h=4))
        for i in range(count)
    ]
    made = store.create_dashboard(site.access, site.users["alice"], "Lines", DashboardSpec(panels=panels))
    return made.id


def switch_and_compare(page: Page, site: BrowserSite, dashboard_id: int, messages: Messages) -> list[str]:
    """Step from run 390002 to 390001; the charts then draw what opening the page at 390001 draws. Gives the
    messages that carried chart data in the switch."""
    page.goto(f"{site.url}/dashboard/{dashboard_id}?run=390002")
    wait_for_panels(page, len(series(page)))
    before = series(page)
    start = len(messages.received)
    previous_run(page)
    expect(page).to_have_url(re.compile(r"run=390001"), timeout=TIMEOUT_MS)
    poll(page, lambda: all(data != before[panel] for panel, data in series(page).items()), "every chart to change")
    switched = series(page)
    carried = messages.since(start, "setOptions")
    page.goto(f"{site.url}/dashboard/{dashboard_id}?run=390001")
    wait_for_panels(page, len(switched))
    assert series(page) == switched  # stepping draws what opening the page at that run draws
    return carried


def test_a_run_switch_reaches_every_chart_in_one_message(browser_site: BrowserSite, chromium: Browser) -> None:
    site = browser_site
    page = probed_page(chromium, viewport={"width": 1400, "height": 1000})
    messages = Messages(page)
    log_in(page, site, "alice")
    carried = switch_and_compare(page, site, line_dashboard(site, 3, 4), messages)
    assert len(carried) == 1, [len(m) for m in carried]


def test_a_run_switch_over_the_budget_is_split(browser_site: BrowserSite, chromium: Browser) -> None:
    site = browser_site
    page = probed_page(chromium, viewport={"width": 1400, "height": 1000})
    messages = Messages(page)
    closed: list[bool] = []
    page.on("websocket", lambda socket: socket.on("close", lambda _: closed.append(True)))
    log_in(page, site, "alice")
    dashboard_id = line_dashboard(site, 12, 12)
    carried = switch_and_compare(page, site, dashboard_id, messages)
    sizes = sorted(len(message) for message in carried)
    assert len(carried) >= 2 and sum(sizes) > MESSAGE_BUDGET, sizes
    assert sizes[-1] < 1.1 * MESSAGE_BUDGET, sizes  # split before the budget (give or take the JSON escaping)
    assert not closed  # the socket stayed up


def test_the_run_stepped_to_was_fetched_ahead(browser_site: BrowserSite, chromium: Browser) -> None:
    """Stepping back from 390002 to 390001 prepares 390000 and has the browser fetch its PNG; stepping on to 390000
    then draws that PNG."""
    site = browser_site
    spec = DashboardSpec(panels=[PanelSpec(id="ccd", type="image", observables=[CCD])])
    made = store.create_dashboard(site.access, site.users["alice"], "Camera", spec)
    page = probed_page(chromium, viewport={"width": 1400, "height": 1000})
    fetched: list[str] = []
    page.on("requestfinished", lambda request: fetched.append(re.sub(r"^https?://[^/]+", "", request.url)))
    log_in(page, site, "alice")
    page.goto(f"{site.url}/dashboard/{made.id}?run=390002")
    poll(page, lambda: bool(drawn_images(page)), "the first image")
    first = drawn_images(page)

    previous_run(page)  # to 390001; 390000 is prepared ahead
    poll(page, lambda: bool(drawn_images(page)) and drawn_images(page) != first, "run 390001")
    second = drawn_images(page)

    def images() -> list[str]:
        return [url for url in fetched if "/api/images/" in url]

    poll(page, lambda: bool(set(images()) - set(first) - set(second)), "the image of run 390000 fetched ahead")
    ahead = sorted(set(images()) - set(first) - set(second))

    previous_run(page)  # to 390000: the PNG fetched ahead is the one drawn
    poll(page, lambda: drawn_images(page) not in ([], second), "run 390000")
    assert drawn_images(page) == ahead


def test_a_chart_is_saved_as_png(browser_site: BrowserSite, chromium: Browser) -> None:
    site = browser_site
    spec = DashboardSpec(panels=[PanelSpec(id="wave", type="line", observables=[SSPALS_V], title="SSPALS wave")])
    made = store.create_dashboard(site.access, site.users["alice"], "Save", spec)
    page = probed_page(chromium, viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    log_in(page, site, "alice")
    page.goto(f"{site.url}/dashboard/{made.id}?run=390002")
    wait_for_panels(page, 1)
    page.locator("[data-panel=wave] .panel-menu").click()
    with page.expect_download(timeout=TIMEOUT_MS) as download:
        page.locator(".q-menu").get_by_text("PNG", exact=True).click()
    assert download.value.suggested_filename == "SSPALS_wave.png"
    path = download.value.path()
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and path.stat().st_size > 1000
