"""Re-ingest from the UI: a job queued through the dialog, listed, cancelled, and its errors shown."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from controls import control
from nicegui import ui
from nicegui.testing.user import User
from polling import RETRIES, wait_until

from alpaca_dash.domain import Job, JobKind, JobStatus
from alpaca_dash.pipeline.ingest import record_run_failure
from alpaca_dash.queries import jobs as queue
from alpaca_dash.queries import users as user_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import Role
from alpaca_dash.run_range import RunRangeError
from alpaca_dash.web.pages.jobs_page import describe_progress
from alpaca_dash.web.pages.reingest_dialog import check_request

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]


def job_rows(user: User) -> list[dict[str, Any]]:
    assert user.client is not None
    table = next(e for e in user.client.elements.values() if isinstance(e, ui.table) and e.props.get("row-key") == "id")
    return list(table.rows)


async def test_queue_then_cancel_a_job_from_the_ui(
    web_user: User, access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    await log_in(web_user, "alice")
    await web_user.open("/jobs")
    await web_user.should_see(marker="reingest-open", retries=RETRIES)
    web_user.find(marker="reingest-open").click()
    web_user.find(marker="reingest-range").type("390010-390000")
    web_user.find(marker="reingest-queue").click()
    await web_user.should_see("reversed run range", retries=RETRIES)
    web_user.find(marker="reingest-range").clear().type(f"1-{access.settings.max_range + 1}")
    web_user.find(marker="reingest-queue").click()
    await web_user.should_see("more than the limit", retries=RETRIES)
    assert queue.list_jobs(access) == []

    web_user.find(marker="reingest-range").clear().type("390000-390009")
    web_user.find(marker="reingest-queue").click()
    await web_user.should_see("queued: runs 390000-390009", retries=RETRIES)
    (job,) = queue.list_jobs(access)  # no scheduler runs in this test: the job waits in the queue
    assert (job.first_run, job.last_run, job.status, job.created_by) == (390000, 390009, "queued", "alice")
    await wait_until(lambda: [r["status"] for r in job_rows(web_user)] == ["queued"], "the queued job listed")

    choice = control(web_user, "job-choice")
    assert isinstance(choice, ui.select) and choice.value == job.id  # the job just queued is the one chosen
    choice.set_value(None)
    web_user.find(marker="jobs-table").trigger("rowClick", [{}, {"id": job.id}, 0])  # or a click on its row
    assert choice.value == job.id
    web_user.find(marker="job-cancel").click()
    await web_user.should_see("cancellation requested", retries=RETRIES)
    stored = queue.get_job(access, job.id)
    assert stored is not None and stored.status == "cancelled"
    await wait_until(lambda: [r["status"] for r in job_rows(web_user)] == ["cancelled"], "the job shown cancelled")


async def test_a_viewer_sees_jobs_and_their_errors_but_cannot_queue(
    web_user: User, access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    job_id = queue.create_job(access, source="simulated", first_run=390000, last_run=390001, created_by="alice")
    record_run_failure(access.db, 390001, "simulated", "the source has no run 390001", job_id)
    await log_in(web_user, "victor")
    await web_user.open("/jobs")
    await wait_until(lambda: len(job_rows(web_user)) == 1, "the job listed")
    await web_user.should_not_see(marker="reingest-open")
    await web_user.should_not_see(marker="job-cancel")
    control(web_user, "job-choice").set_value(job_id)
    web_user.find(marker="job-errors").click()
    await web_user.should_see(f"Errors of job {job_id}: 1", retries=RETRIES)


async def test_cancelling_needs_the_editor_role_when_clicked(
    web_user: User, access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    job_id = queue.create_job(access, source="simulated", first_run=390000, last_run=390001, created_by="alice")
    await log_in(web_user, "bob")
    await web_user.open("/jobs")
    await wait_until(lambda: len(job_rows(web_user)) == 1, "the job listed")
    user_queries.set_role(access, "bob", Role.VIEWER)  # demoted while the page still offers the button
    control(web_user, "job-choice").set_value(job_id)
    web_user.find(marker="job-cancel").click()
    await web_user.should_see("Viewers cannot cancel jobs.", retries=RETRIES)
    stored = queue.get_job(access, job_id)
    assert stored is not None and (stored.status, stored.cancel_requested) == ("queued", False)


def test_request_checks() -> None:
    assert str(check_request("5-7", "files", max_runs=10)) == "5-7"
    with pytest.raises(RunRangeError, match="unknown source"):
        check_request("5-7", "ftp", max_runs=10)
    with pytest.raises(RunRangeError, match="more than the limit"):
        check_request("1-20", "simulated", max_runs=10)


def test_progress_text() -> None:
    job = Job(
        1,
        JobKind.RANGE,
        "simulated",
        1,
        10,
        JobStatus.RUNNING,
        10,
        4,
        1,
        False,
        "",
        {},
        "a",
        datetime(2026, 5, 1, tzinfo=UTC),
        None,
        None,
    )
    assert describe_progress(job) == "5 of 10 (50%), 1 failed"
