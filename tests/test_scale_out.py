"""Scale-out proven on one machine (DESIGN §9): two web instances behind the real nginx with the sticky upstream,
NiceGUI's storage in Redis, one follow worker, the sidecar on moto's S3. Chromium logs in through nginx; two live
pages land on different instances and both show a new run; the instance of one is killed and the page carries on
on the other without a new login."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Response, expect

from alpaca_dash.queries.runs import latest_run

from scale_out_site import PASSWORD, UPSTREAM_HEADER, USER, ScaleOutSite, scale_out_site

pytest_plugins = ["web_fixtures"]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("nginx") is None, reason="needs Debian's nginx"),
]
TIMEOUT = 60_000
MAX_CONTEXTS = 12


@pytest.fixture
def site(fresh_schema_url: str, tmp_path: Path) -> Iterator[ScaleOutSite]:
    with scale_out_site(fresh_schema_url, tmp_path) as running:
        yield running


class LivePage:
    """A browser (its own cookies) with the dashboard open in live mode, and the instances that answered it."""

    def __init__(self, context: BrowserContext, site: ScaleOutSite) -> None:
        self.context = context
        self.page: Page = context.new_page()
        self.upstreams: list[str] = []
        self.page.on("response", self._seen)
        self.site = site

    def _seen(self, response: Response) -> None:
        if response.request.resource_type == "document" and UPSTREAM_HEADER.lower() in response.headers:
            self.upstreams.append(response.headers[UPSTREAM_HEADER.lower()])

    @property
    def instance_port(self) -> int:
        return self.site.instance_on(self.upstreams[-1]).port

    def log_in_and_go_live(self) -> None:
        self.page.goto(self.site.url + f"/dashboard/{self.site.dashboard_id}?live=1")
        self.page.get_by_label("Username").fill(USER)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Log in").click()
        expect(self.page).to_have_url(re.compile(rf"/dashboard/{self.site.dashboard_id}"), timeout=TIMEOUT)
        expect(self.page.locator('[data-panel][data-state="ready"]')).to_have_count(1, timeout=TIMEOUT)

    def expect_run_after(self, run: int) -> None:
        """The page shows (in its URL, which follows the run shown) a run newer than ``run``."""
        newer = "|".join(str(n) for n in range(run + 1, run + 40))
        expect(self.page).to_have_url(re.compile(rf"run=({newer})\b"), timeout=TIMEOUT)


def test_two_instances_behind_nginx_share_sessions_and_live_runs(site: ScaleOutSite, chromium: Browser) -> None:
    pages: dict[int, LivePage] = {}
    for _ in range(MAX_CONTEXTS):  # each browser gets its own routing cookie, hashed onto one instance
        live = LivePage(chromium.new_context(ignore_https_errors=True), site)
        live.log_in_and_go_live()
        if live.instance_port in pages:
            live.context.close()
            continue
        pages[live.instance_port] = live
        if len(pages) == 2:
            break
    assert len(pages) == 2, f"{MAX_CONTEXTS} browsers all landed on one instance\n{site.tail()}"
    first, second = pages.values()
    assert {first.instance_port, second.instance_port} == {i.port for i in site.instances}
    assert all(len(set(p.upstreams)) == 1 for p in pages.values())  # login and dashboard on the same instance

    newest = latest_run(site.access)
    assert newest is not None
    for live in (first, second):  # the worker's next runs reach pages on both instances
        live.expect_run_after(newest)

    doomed = site.instance_on(first.upstreams[-1])
    doomed.kill()
    newest = latest_run(site.access)
    assert newest is not None
    # NiceGUI keeps a page's state in its process: the page reconnects to the other instance, which does not know
    # it, so the browser loads the page again there; the login is in Redis, so no login page comes up
    expect(first.page).to_have_url(re.compile(rf"/dashboard/{site.dashboard_id}\?"), timeout=TIMEOUT)
    first.expect_run_after(newest)
    assert "/login" not in first.page.url
    assert first.instance_port != doomed.port, first.upstreams
    expect(first.page.locator('[data-panel][data-state="ready"]')).to_have_count(1, timeout=TIMEOUT)
    second.expect_run_after(newest)
    for live in (first, second):
        live.context.close()
