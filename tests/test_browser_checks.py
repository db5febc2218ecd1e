"""The check editor in a real headless Chromium: the observable field searches the server as one types, the fields
follow the kind of check, a bad check is said in the dialog, and a good one is listed (screenshots in tmp_path)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, expect
from polling import TIMEOUT_MS

from alpaca_dash.quality.checks import ReferenceCheck
from alpaca_dash.queries.checks import list_checks

if TYPE_CHECKING:
    from web_fixtures import BrowserSite

pytest_plugins = ["web_fixtures"]
pytestmark = [pytest.mark.browser, pytest.mark.slow]

SSPALS_V = "captorius3*acq_0*Channel_2_SSPALS*Y_[V]*V"


def test_an_editor_writes_a_reference_check_in_the_dialog(
    browser_site: BrowserSite, chromium: Browser, tmp_path: Path
) -> None:
    page = chromium.new_page(viewport={"width": 1280, "height": 860})
    page.goto(browser_site.url + "/checks")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Quality checks", timeout=TIMEOUT_MS)

    page.get_by_role("button", name="Add check").click()
    dialog = page.locator(".q-dialog")
    expect(dialog.get_by_text("Add check", exact=True)).to_be_visible(timeout=TIMEOUT_MS)
    dialog.get_by_label("Observable (type to search)").fill("SSPALS*Y_[V]*V")
    page.get_by_role("option", name=SSPALS_V).click(timeout=TIMEOUT_MS)
    dialog.get_by_label("Check", exact=True).click()
    page.get_by_role("option", name="Waveform against the reference run").click()
    expect(dialog.get_by_label("Warn p")).to_be_visible()
    expect(dialog.get_by_label("Warn high")).to_be_hidden()  # a reference check has p-values, not bounds
    dialog.get_by_label("Name (unique)").fill("SSPALS shape")
    dialog.get_by_label("Warn p").fill("1.5")
    dialog.get_by_role("button", name="Save check").click()
    expect(dialog.get_by_text("Warn p must lie in (0, 1), not 1.5")).to_be_visible(timeout=TIMEOUT_MS)
    page.screenshot(path=tmp_path / "check-refused.png")
    assert list_checks(browser_site.access) == []

    dialog.get_by_label("Warn p").fill("0.01")
    dialog.get_by_role("button", name="Save check").click()
    expect(page.locator(".q-table").get_by_text("SSPALS shape")).to_be_visible(timeout=TIMEOUT_MS)
    expect(dialog).to_be_hidden()
    page.screenshot(path=tmp_path / "checks-list.png")
    (stored,) = list_checks(browser_site.access)
    assert isinstance(stored.check, ReferenceCheck)
    assert (stored.check.test, stored.check.warn_p, stored.check.observable) == ("ks", 0.01, SSPALS_V)

    page.locator(".q-table").get_by_text("SSPALS shape").click()
    expect(dialog.get_by_text("Edit check 'SSPALS shape'")).to_be_visible(timeout=TIMEOUT_MS)
    expect(dialog.get_by_label("Warn p")).to_have_value("0.01")
    page.screenshot(path=tmp_path / "check-edit.png")
