"""The panel loader on its own, against a real database: what it presents for a run, what it keeps for flipping
back, what it prepares ahead, and what it drops (superseded refreshes, removed panels, prefetches of a wrong size)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from nicegui.testing.user import User
from polling import wait_until

from alpaca_dash.content.charts.packed import series_data
from alpaca_dash.content.data import PanelContent
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.content.value_cache import ValueCache
from alpaca_dash.content.zoom import Zoom
from alpaca_dash.queries import runs as run_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.sources.simulated import CCD, SSPALS
from alpaca_dash.web.dashboard.panel_loader import LoadTarget, PanelLoader
from alpaca_dash.web.dashboard.shown import ShownRun
from alpaca_dash.web.image_cache import ImageCache
from alpaca_dash.web.routes import image_url

pytest_plugins = ["web_fixtures"]
WAVE = PanelSpec(id="wave", type="line", observables=[f"{SSPALS}*V"])
CAMERA = PanelSpec(id="ccd", type="image", observables=[CCD])


@dataclass
class Slot:
    """A panel on screen as the loader sees it (what a ``PanelCard`` is to it)."""

    spec: PanelSpec
    size: tuple[int, int] = (600, 300)
    loading_shown: bool = False
    zoom: Zoom | None = None

    def show_loading(self) -> None:
        self.loading_shown = True


class Shown:
    """What was presented, panel by panel, in order."""

    def __init__(self) -> None:
        self.contents: list[tuple[str, PanelContent]] = []

    async def present(self, slot: Slot, content: PanelContent) -> None:
        self.contents.append((slot.spec.id, content))


def make_loader(access: DataAccess, preloaded: list[str] | None = None) -> PanelLoader:
    images = ImageCache()
    kept = preloaded if preloaded is not None else []
    return PanelLoader(access, ValueCache(), lambda png: image_url(images.put(1, png)), kept.extend)


def target(access: DataAccess, run: int) -> LoadTarget:
    found = run_queries.get_run(access, run)
    assert found is not None
    return LoadTarget(ShownRun(run, found.ingested_at))


def points(content: PanelContent) -> list[list[float]]:
    assert content.option is not None
    return list(series_data(content.option["series"][0]))


async def test_flipping_back_presents_the_content_kept(web_user: User, seeded_access: DataAccess) -> None:
    loader, shown, slot = make_loader(seeded_access), Shown(), Slot(WAVE)
    await loader.refresh([slot], target(seeded_access, 390002), shown.present)
    await loader.refresh([slot], target(seeded_access, 390001), shown.present)
    await loader.refresh([slot], target(seeded_access, 390002), shown.present)
    (_, first), (_, other), (_, again) = shown.contents
    assert first.state == other.state == "ready" and points(first) != points(other)
    assert again is first  # nothing loaded again
    reingested = LoadTarget(ShownRun(390002, None))  # another version of the run's data: loaded afresh
    await loader.refresh([slot], reingested, shown.present)
    assert shown.contents[-1][1] is not first and points(shown.contents[-1][1]) == points(first)


async def test_the_next_run_is_prepared_in_the_stepping_direction(web_user: User, seeded_access: DataAccess) -> None:
    preloaded: list[str] = []
    loader, camera, wave = make_loader(seeded_access, preloaded), Slot(CAMERA), Slot(WAVE)
    loader.read_ahead([camera, wave], target(seeded_access, 390001), forward=False, still_shown=lambda: True)
    earlier = target(seeded_access, 390000)
    await wait_until(lambda: loader.recent(wave, earlier) is not None, "run 390000 prepared")
    await wait_until(lambda: bool(preloaded), "the PNG of run 390000 sent ahead")
    prepared = loader.recent(camera, earlier)
    assert prepared is not None and prepared.option is not None and preloaded == prepared.option["alpacaImages"]
    assert loader.recent(wave, target(seeded_access, 390002)) is None  # not the other direction

    shown = Shown()
    await loader.refresh([camera], earlier, shown.present)
    assert shown.contents == [("ccd", prepared)]  # stepping there shows what was prepared


async def test_nothing_is_prepared_once_the_user_moved_on(web_user: User, seeded_access: DataAccess) -> None:
    loader, wave = make_loader(seeded_access), Slot(WAVE)
    loader.read_ahead([wave], target(seeded_access, 390001), forward=True, still_shown=lambda: False)
    await asyncio.sleep(1.0)
    assert loader.recent(wave, target(seeded_access, 390002)) is None


async def test_only_the_newest_refresh_is_presented(web_user: User, seeded_access: DataAccess) -> None:
    loader, shown, slot = make_loader(seeded_access), Shown(), Slot(WAVE)
    older = asyncio.ensure_future(loader.refresh([slot], target(seeded_access, 390001), shown.present))
    await asyncio.sleep(0)  # the older one has started loading
    await loader.refresh([slot], target(seeded_access, 390003), shown.present)
    await older
    newest = await loader.load(slot, target(seeded_access, 390003))
    assert [(panel, points(content)) for panel, content in shown.contents] == [("wave", points(newest))]


async def test_a_removed_panel_is_not_presented(web_user: User, seeded_access: DataAccess) -> None:
    loader, shown, wave, camera = make_loader(seeded_access), Shown(), Slot(WAVE), Slot(CAMERA)
    refresh = asyncio.ensure_future(loader.refresh([wave, camera], target(seeded_access, 390002), shown.present))
    await asyncio.sleep(0)
    loader.forget("ccd")
    await refresh
    assert [panel for panel, _ in shown.contents] == ["wave"]


async def test_a_prefetch_of_another_size_is_not_shown(web_user: User, seeded_access: DataAccess) -> None:
    loader, shown, slot = make_loader(seeded_access), Shown(), Slot(WAVE, size=(1500, 300))
    loader.prefetch([slot], target(seeded_access, 390002))
    slot.size = (200, 150)  # the browser reported a much smaller panel before the first draw
    await loader.refresh([slot], target(seeded_access, 390002), shown.present)
    drawn = points(shown.contents[0][1])
    assert 16 <= len(drawn) <= 2 * 200 + 2  # drawn for 200 pixels, not for 1500

    fitting, same = Shown(), Slot(WAVE, size=(1500, 300))
    loader.prefetch([same], target(seeded_access, 390001))
    same.size = (1480, 300)  # close enough to draw the same data
    await loader.refresh([same], target(seeded_access, 390001), fitting.present)
    assert len(points(fitting.contents[0][1])) > 2 * 200 + 2
