"""``/api/export`` on the real server: at most two exports per user at once (a third is told to wait, another user
is not), temporary files in ``TMPDIR`` and never in the data folder, nothing left behind after a success or a
failure, and an unreadable sidecar file answered in words (no traceback, no SQL)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from polling import wait_until
from sqlalchemy import text

from alpaca_dash.queries.tokens import create_token
from alpaca_dash.sources.simulated import CCD, ELENA, SSPALS
from alpaca_dash.web.export_route import MAX_EXPORTS_PER_USER, export_url

if TYPE_CHECKING:
    from web_fixtures import BrowserSite

pytest_plugins = ["web_fixtures"]
pytestmark = [pytest.mark.slow]
#: the runs web_fixtures' browser_site seeds
FIRST_RUN, SEEDED_RUNS = 390000, 4
EXPORT = export_url([f"{ELENA}*H_offset_mm", f"{SSPALS}*V", CCD], f"{FIRST_RUN}-{FIRST_RUN + SEEDED_RUNS - 1}")
TEMPORARY = "alpaca-export-*"


@dataclass(frozen=True)
class ExportSite:
    site: BrowserSite
    tmpdir: Path
    #: an API token's Authorization header for alice and for bob
    alice: dict[str, str]
    bob: dict[str, str]

    @property
    def data_dir(self) -> Path:
        return self.site.access.settings.data_dir

    def temporary_files(self) -> list[Path]:
        return sorted(self.tmpdir.glob(TEMPORARY))


@pytest.fixture
def server_tmpdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The server's ``TMPDIR`` (it inherits this process's environment), set before the server starts."""
    folder = tmp_path / "server-tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


@pytest.fixture
def export_site(server_tmpdir: Path, browser_site: BrowserSite) -> Iterator[ExportSite]:
    def header(name: str) -> dict[str, str]:
        _token, secret = create_token(browser_site.access, browser_site.users[name], "export test")
        return {"Authorization": f"Bearer {secret}"}

    yield ExportSite(browser_site, server_tmpdir, header("alice"), header("bob"))


def _no_export_file_in(folder: Path) -> bool:
    return not [path for path in folder.rglob("*") if path.match(TEMPORARY)]


async def test_two_exports_per_user_at_once_written_in_tmpdir(export_site: ExportSite) -> None:
    site = export_site
    async with httpx.AsyncClient(base_url=site.site.url, timeout=120) as http:
        with site.site.access.db.begin() as conn:  # the exports wait for the values until this ends
            conn.execute(text("LOCK TABLE scalars, array_stats IN ACCESS EXCLUSIVE MODE"))
            alices = [asyncio.create_task(http.get(EXPORT, headers=site.alice)) for _ in range(MAX_EXPORTS_PER_USER)]
            await wait_until(lambda: len(site.temporary_files()) == 2, "alice's two exports under way in TMPDIR")

            third = await http.get(EXPORT, headers=site.alice)
            assert third.status_code == 429 and third.headers["Retry-After"]
            assert third.text == f"you have {MAX_EXPORTS_PER_USER} exports under way already: wait for one to finish"

            bobs = asyncio.create_task(http.get(EXPORT, headers=site.bob))  # another user is not held back
            await wait_until(lambda: len(site.temporary_files()) == 3, "bob's export under way beside alice's")
            assert _no_export_file_in(site.data_dir), "an export's temporary file in the data folder"
        for response in await asyncio.gather(*alices, bobs):
            assert response.status_code == 200, response.text
            assert response.content.startswith(b"PAR1")
        await wait_until(lambda: not site.temporary_files(), "the temporary files deleted after the downloads")
        again = await http.get(EXPORT, headers=site.alice)  # the finished exports gave their places back
        assert again.status_code == 200, again.text
    await wait_until(lambda: not site.temporary_files(), "the temporary file deleted")
    assert _no_export_file_in(site.data_dir)


async def test_an_unreadable_sidecar_file_is_answered_in_words(export_site: ExportSite) -> None:
    site = export_site
    stored = list((site.data_dir / "parquet").rglob("*.parquet"))
    assert stored, "the seeded images should be in the sidecar"
    for path in stored:
        path.write_bytes(b"not parquet at all")
    async with httpx.AsyncClient(base_url=site.site.url, timeout=120) as http:
        for _ in range(MAX_EXPORTS_PER_USER):
            response = await http.get(EXPORT, headers=site.alice)
            assert response.status_code == 502
            assert response.text.startswith("stored values cannot be read, so nothing was exported: ")
            for leak in ("Traceback", "SELECT", "sqlalchemy", "psycopg", 'File "'):
                assert leak not in response.text
            assert not site.temporary_files(), "a failed export left its temporary file"
        # the failed exports gave their places back, and values outside the sidecar still export
        scalar_only = await http.get(export_url([f"{ELENA}*H_offset_mm"], str(FIRST_RUN)), headers=site.alice)
        assert scalar_only.status_code == 200, scalar_only.text
    await wait_until(lambda: not site.temporary_files(), "the temporary file deleted after the download")
    assert _no_export_file_in(site.data_dir)
