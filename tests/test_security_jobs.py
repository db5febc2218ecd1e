"""Jobs: only the user who queued a job or an admin cancels it; a CLI job whose process is gone is marked failed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable

import pytest
from nicegui import ui
from nicegui.testing.user import User
from polling import wait_for, wait_until

from alpaca_dash.domain import Job, JobStatus
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.scheduler import IngestScheduler
from alpaca_dash.queries import jobs
from alpaca_dash.queries import users as user_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.jobs import NotYourJob
from alpaca_dash.queries.users import Role
from alpaca_dash.sources.base import RunSource, SourceError

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]


def _queued(access: DataAccess, by: str) -> int:
    return jobs.create_job(access, source="simulated", first_run=1, last_run=2, created_by=by)


def test_only_the_owner_or_an_admin_cancels_a_job(access: DataAccess, accounts: dict[str, int]) -> None:
    alice, bob = user_queries.find_user(access, "alice"), user_queries.find_user(access, "bob")
    admin = user_queries.create_user(access, "ada", "correct horse battery", Role.ADMIN)
    assert alice is not None and bob is not None
    first, second = _queued(access, "alice"), _queued(access, "alice")
    with pytest.raises(NotYourJob):
        jobs.request_cancel(access, first, by=bob)
    assert jobs.get_job(access, first).status == JobStatus.QUEUED  # type: ignore[union-attr]
    assert jobs.request_cancel(access, first, by=alice)
    assert jobs.request_cancel(access, second, by=admin)
    user_queries.set_role(access, "alice", Role.VIEWER)
    third = _queued(access, "alice")
    with pytest.raises(NotYourJob):  # a viewer cancels nothing, not even their own
        jobs.request_cancel(access, third, by=user_queries.find_user(access, "alice"))


async def test_the_jobs_page_refuses_to_cancel_someone_elses_job(
    web_user: User, access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    job_id = _queued(access, "alice")
    await log_in(web_user, "bob")
    await web_user.open("/jobs")
    choice = next(iter(web_user.find(marker="job-choice").elements))
    assert isinstance(choice, ui.select)
    await wait_until(lambda: job_id in choice.options, "the job in the list")
    choice.set_value(job_id)
    web_user.find(marker="job-cancel").click()
    await web_user.should_see("is not yours", retries=100)
    assert jobs.get_job(access, job_id).status == JobStatus.QUEUED  # type: ignore[union-attr]


RECORD_AND_WAIT = """
import sys, time
from alpaca_dash.config import Settings
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.jobs import create_job
access = DataAccess.open(Settings(database_url=sys.argv[1], data_dir=sys.argv[2]))
print(create_job(access, source="files", first_run=1, last_run=9, run_here=True), flush=True)
time.sleep(120)
"""


def _cli_job(url: str, data_dir: str) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [sys.executable, "-c", RECORD_AND_WAIT, url, data_dir], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    return process, int(process.stdout.readline())


def test_a_cli_job_whose_process_is_gone_is_marked_failed(
    access: DataAccess, fresh_schema_url: str, tmp_path: os.PathLike[str]
) -> None:
    killed, killed_job = _cli_job(fresh_schema_url, str(tmp_path))
    living, living_job = _cli_job(fresh_schema_url, str(tmp_path))
    try:
        os.kill(killed.pid, signal.SIGKILL)  # kill -9 mid-ingest: nothing in it can record anything
        killed.wait()
        assert jobs.fail_dead_cli_jobs(access) == 1
        gone = jobs.get_job(access, killed_job)
        assert gone is not None and gone.status == JobStatus.FAILED and f"pid {killed.pid}" in gone.message
        assert jobs.get_job(access, living_job).status == JobStatus.RUNNING  # type: ignore[union-attr]
        assert jobs.fail_dead_cli_jobs(access) == 0
    finally:
        living.kill()
        for process in (killed, living):
            process.wait()
            assert process.stdout is not None
            process.stdout.close()


def _no_source(kind: str) -> RunSource:
    raise SourceError(f"no {kind} source in this test")


def test_the_scheduler_marks_a_killed_cli_job_failed_by_itself(
    access: DataAccess, store: ParquetStore, fresh_schema_url: str, tmp_path: os.PathLike[str]
) -> None:
    scheduler = IngestScheduler(access.db, store, None, _no_source, dead_job_interval=0.5)
    scheduler.start()  # before the kill: its periodic look finds the job, not a look at start-up
    killed, killed_job = _cli_job(fresh_schema_url, str(tmp_path))
    living, living_job = _cli_job(fresh_schema_url, str(tmp_path))
    try:
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait()

        def failed() -> Job | None:
            job = jobs.get_job(access, killed_job)
            return job if job is not None and job.status == JobStatus.FAILED else None

        gone = wait_for(failed, "the killed CLI job marked failed by the scheduler (no jobs page looking)")
        assert f"pid {killed.pid}" in gone.message and gone.finished_at is not None
        assert jobs.get_job(access, living_job).status == JobStatus.RUNNING  # type: ignore[union-attr]
    finally:
        scheduler.shutdown()
        living.kill()
        for process in (killed, living):
            process.wait()
            assert process.stdout is not None
            process.stdout.close()
