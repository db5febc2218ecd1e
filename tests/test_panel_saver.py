"""The panel saver on its own, against a real database: each change saved against the dashboard as last saved,
and refused, with nothing saved, for a viewer or a dashboard deleted meanwhile."""

from __future__ import annotations

from nicegui.testing.user import User

from alpaca_dash.content.spec import DashboardSpec, GridPosition, PanelSpec
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import User as Account
from alpaca_dash.queries.users import get_user
from alpaca_dash.sources.simulated import CCD, SSPALS
from alpaca_dash.web.dashboard.panel_saver import GONE, READ_ONLY, PanelSaver, Severity

pytest_plugins = ["web_fixtures"]
WAVE = PanelSpec(id="wave", type="line", observables=[f"{SSPALS}*V"], layout=GridPosition(x=0, y=0, w=6, h=4))
CAMERA = PanelSpec(id="ccd", type="image", observables=[CCD], layout=GridPosition(x=6, y=0, w=6, h=5))


class Told:
    """What the saver told: the versions saved and the refusals."""

    def __init__(self) -> None:
        self.versions: list[int] = []
        self.refusals: list[tuple[str, Severity]] = []

    def saved(self, dashboard: store.Dashboard) -> None:
        self.versions.append(dashboard.version)

    def refused(self, message: str, severity: Severity) -> None:
        self.refusals.append((message, severity))


def account(access: DataAccess, user_id: int) -> Account:
    found = get_user(access, user_id)
    assert found is not None
    return found


def saver_of(access: DataAccess, user_id: int, dashboard: store.Dashboard, told: Told) -> PanelSaver:
    return PanelSaver(access, account(access, user_id), dashboard, on_saved=told.saved, on_refused=told.refused)


def alices(
    access: DataAccess, accounts: dict[str, int], *panels: PanelSpec
) -> tuple[int, store.Dashboard, PanelSaver, Told]:
    """A new dashboard of alice's with ``panels``, and her saver of it."""
    alice, told = accounts["alice"], Told()
    made = store.create_dashboard(access, alice, "Mine", DashboardSpec(panels=list(panels)))
    return alice, made, saver_of(access, alice, made, told), told


def overlap(a: PanelSpec, b: PanelSpec) -> bool:
    one, other = a.layout, b.layout
    across = one.x < other.x + other.w and other.x < one.x + one.w
    return across and one.y < other.y + other.h and other.y < one.y + one.h


def stored(access: DataAccess, dashboard: store.Dashboard, user_id: int) -> store.Dashboard:
    found = store.get_dashboard(access, dashboard.id, user_id)
    assert found is not None
    return found


async def test_panels_added_edited_copied_and_removed(
    web_user: User, access: DataAccess, accounts: dict[str, int]
) -> None:
    alice, made, saver, told = alices(access, accounts, WAVE, CAMERA)

    more = PanelSpec(id="more", type="histogram", observables=[f"{SSPALS}*V"], layout=GridPosition(w=4, h=3))
    added = await saver.save_panel(more)
    assert added is not None and (added.layout.x, added.layout.y) == (0, 4)  # the first free place: below the wave
    edited = await saver.save_panel(WAVE.model_copy(update={"title": "Wave"}))
    assert edited is not None and edited.layout == WAVE.layout  # in place
    copy = await saver.duplicate("ccd")
    assert copy is not None and copy.id != "ccd" and copy.observables == [CCD]
    assert (copy.layout.w, copy.layout.h) == (6, 5) and not any(overlap(copy, p) for p in (WAVE, CAMERA, added))
    assert await saver.duplicate("nothing") is None
    assert await saver.remove("more") and not await saver.remove("more")

    saved = stored(access, made, alice)
    assert [p.id for p in saved.spec.panels] == ["wave", "ccd", copy.id] and saved.spec.panels[0].title == "Wave"
    assert told.versions == [made.version + n for n in (1, 2, 3, 4)] and saved.version == told.versions[-1]
    assert saver.dashboard == saved and not told.refusals


async def test_the_layout_is_saved_once_per_move(web_user: User, access: DataAccess, accounts: dict[str, int]) -> None:
    alice, made, saver, told = alices(access, accounts, WAVE, CAMERA)
    moved = [{"id": "wave", "x": 0, "y": 5, "w": 6, "h": 4}, {"id": "ccd", "x": 0, "y": 0, "w": 12, "h": 5}]
    merged = await saver.save_layout(moved)
    assert merged is not None and merged.panel("ccd") == CAMERA.model_copy(update={"layout": GridPosition(w=12, h=5)})
    assert await saver.save_layout(moved) is None  # the grid reporting the same layout again
    assert await saver.save_layout([{"id": "wave", "x": "left"}]) is None  # not a layout
    assert told.versions == [made.version + 1] and stored(access, made, alice).spec == merged


async def test_the_reference_run_is_pinned_and_cleared(
    web_user: User, access: DataAccess, accounts: dict[str, int]
) -> None:
    alice, made, saver, told = alices(access, accounts, CAMERA)
    assert await saver.set_reference(390000)
    assert stored(access, made, alice).spec.reference_run == 390000
    assert await saver.set_reference(None)
    assert stored(access, made, alice).spec == DashboardSpec(panels=[CAMERA])
    assert told.versions == [made.version + 1, made.version + 2]


async def test_a_viewer_changes_nothing(web_user: User, access: DataAccess, accounts: dict[str, int]) -> None:
    alice, victor, told = accounts["alice"], accounts["victor"], Told()
    made = store.create_dashboard(access, alice, "Shared", DashboardSpec(panels=[WAVE]))
    shared = store.set_visibility(access, made.id, alice, store.Visibility.SHARED_EDIT)
    saver = saver_of(access, victor, shared, told)
    assert not saver.can_edit and not saver.allowed()
    assert await saver.save_panel(CAMERA) is None
    assert await saver.duplicate("wave") is None
    assert not await saver.remove("wave")
    assert not await saver.set_reference(390000)
    assert await saver.save_layout([{"id": "wave", "x": 6, "y": 0, "w": 6, "h": 4}]) is None  # silently
    assert told.refusals == [(READ_ONLY, "warning")] * 5 and not told.versions
    assert stored(access, made, alice) == shared


async def test_a_dashboard_deleted_meanwhile_is_not_saved_again(
    web_user: User, access: DataAccess, accounts: dict[str, int]
) -> None:
    alice, made, saver, told = alices(access, accounts, WAVE)
    assert store.delete_dashboard(access, made.id, alice)
    assert await saver.save_panel(CAMERA) is None
    assert await saver.save_layout([{"id": "wave", "x": 6, "y": 0, "w": 6, "h": 4}]) is None
    assert told.refusals == [(GONE, "negative")] * 2 and not told.versions
    assert store.get_dashboard(access, made.id, alice) is None
