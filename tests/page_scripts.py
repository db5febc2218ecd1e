"""What the browser tests read off a page, kept as JavaScript in ``tests/js/probes.js``.

``probed_page(browser)`` opens a page with ``window.probes`` installed on every document it loads; tests call its
functions by name, e.g. ``page.evaluate("probes.shown", "wave")`` or ``page.wait_for_function("probes.allPainted")``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page

PROBES = (Path(__file__).parent / "js" / "probes.js").read_text()


def probed_page(browser: Browser, **options: Any) -> Page:
    """A new page of ``browser`` (``options`` as for ``Browser.new_page``) with the probes installed."""
    page = browser.new_page(**options)
    page.add_init_script(script=PROBES)
    return page
