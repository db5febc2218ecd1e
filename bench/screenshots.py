"""What the README's screenshots share: a logged-in Chromium page on a dashboard, every panel painted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from bench.p4_dashboard import ALL_PAINTED_JS, launch, log_in


@contextmanager
def painted_dashboard(
    site: str, dashboard_id: int, query: str, *, panels: int, images: int, width: int, height: int
) -> Iterator[Page]:
    """The dashboard at ``?query``, logged in as the bench user, once its ``panels`` (``images`` pictures) painted."""
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            log_in(page, site)
            page.goto(f"{site}/dashboard/{dashboard_id}?{query}")
            page.evaluate(f"window.__expectedImages = {images}")
            page.wait_for_function(ALL_PAINTED_JS, arg=panels, timeout=60_000, polling=50)
            yield page
        finally:
            browser.close()


def save(page: Page, path: Path) -> None:
    """The page as it is now, to ``path`` (PNG)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))
