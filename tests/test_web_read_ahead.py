"""Stepping through runs: the next run in the same direction is drawn in the background, before it is asked for."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import pytest
from nicegui import Client, ui
from nicegui.testing.user import User
from polling import wait_until

from alpaca_dash.content.spec import DashboardSpec, PanelSpec
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.sources.simulated import CCD

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]
PRELOAD = ".forEach((url) => { new Image().src = url; })"


def preloaded(codes: list[str]) -> list[str]:
    """The PNG URLs the server asked the browser to fetch ahead."""
    return [url for code in codes if code.endswith(PRELOAD) for url in json.loads(code[: -len(PRELOAD)])]


def shown_images(user: User) -> list[str]:
    assert user.client is not None
    chart = next(e for e in user.client.elements.values() if isinstance(e, ui.echart))
    return list(chart.options.get("alpacaImages", []))


async def test_the_run_stepped_to_was_drawn_ahead(
    web_user: User,
    seeded_access: DataAccess,
    accounts: dict[str, int],
    log_in: LogIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    codes: list[str] = []
    run_javascript = Client.run_javascript

    def keep(self: Client, code: str, **kwargs: object) -> object:
        codes.append(code)
        return run_javascript(self, code, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Client, "run_javascript", keep)
    spec = DashboardSpec(panels=[PanelSpec(id="ccd", type="image", observables=[CCD])])
    made = store.create_dashboard(seeded_access, accounts["alice"], "Camera", spec)
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}?run=390002")
    await wait_until(lambda: bool(shown_images(web_user)), "the first image")
    first = shown_images(web_user)

    web_user.find(marker="run-previous").click()  # to 390001; 390000 is drawn ahead
    await wait_until(lambda: shown_images(web_user) != first, "run 390001")
    await wait_until(lambda: bool(preloaded(codes)), "the image of run 390000 drawn ahead")
    ahead = preloaded(codes)
    assert not set(ahead) & set(shown_images(web_user))

    web_user.find(marker="run-previous").click()  # to 390000: the image drawn ahead is shown, nothing is redrawn
    await wait_until(lambda: shown_images(web_user) == ahead, "run 390000 from what was drawn ahead")
