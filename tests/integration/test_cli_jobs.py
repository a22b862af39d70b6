"""`hotline jobs`: the failed background jobs listed and put back on the queue, through
click against the real test Redis, as an admin runs it.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from hotline.cli import main
from hotline.cli.common import utc_time
from hotline.jobs import enqueue
from hotline.settings import Settings
from hotline.store import job_registries
from hotline.store.audit import AuditFilter
from tests.support.env import settings_env
from tests.support.twilio import AUTH_TOKEN, PUBLIC_URL, SECRET_KEY

# Twilio's REST API where nothing listens: a job that calls it fails at once.
NOWHERE = "http://127.0.0.1:9"


@pytest.fixture
def settings():
    return Settings.load(env=settings_env(TWILIO_API_BASE_URL=NOWHERE))


@pytest.fixture
def hotline(monkeypatch, redis_url, tmp_path, services):
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("HOTLINE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("HOTLINE_PUBLIC_URL", PUBLIC_URL)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("HOTLINE_CONFIG", raising=False)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args), prog_name="hotline", catch_exceptions=False)

    return run


def failed_jobs(services, run_jobs, *texts: str) -> list[job_registries.FailedJob]:
    """Texts to a number without retries: each fails for good, Twilio being unreachable."""
    for text in texts:
        enqueue(
            services,
            "workers.notify.send_sms",
            text,
            "+15155550100",
            "Call us back.",
            wait_s=60,
            run_s=30,
        )
    run_jobs()
    return job_registries.failed(services.queue)


def test_no_failed_jobs(hotline):
    result = hotline("jobs", "list")
    assert (result.exit_code, result.output) == (0, "No failed jobs.\n")


def test_the_failed_jobs_are_listed_newest_first_with_what_failed(hotline, services, run_jobs):
    first, second = reversed(failed_jobs(services, run_jobs, "+15155550111", "+15155550122"))
    result = hotline("jobs", "list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == f"{'ID':<36}  {'FAILED (UTC)':<19}  {'JOB':<36}  ARGUMENTS / ERROR"
    # Numbers masked but for their last four digits, as everywhere outside the console.
    assert lines[1:] == [
        f"{second.id:<36}  {utc_time(second.failed_at):<19}  {'notify.send_sms':<36}  "
        "••••••••0122, ••••••••0100, Call us back.",
        f"{'':<36}  {'':<19}  {'':<36}  {second.error}",
        f"{first.id:<36}  {utc_time(first.failed_at):<19}  {'notify.send_sms':<36}  "
        "••••••••0111, ••••••••0100, Call us back.",
        f"{'':<36}  {'':<19}  {'':<36}  {first.error}",
    ]
    assert first.error == (
        "hotline.telephony.TransientTelephonyError: text ••••••••0111: "
        "cannot reach http://127.0.0.1:9 (NewConnectionError)"
    )
    assert "+15155550111" not in result.output


def test_retry_puts_one_job_back_on_the_queue_and_audits_it(hotline, services, run_jobs):
    second, first = failed_jobs(services, run_jobs, "+15155550111", "+15155550122")
    result = hotline("jobs", "retry", first.id, "--by", "ann")
    assert (result.exit_code, result.output) == (0, f"Retrying {first.id} (notify.send_sms)\n")
    assert services.queue.job_ids == [first.id]
    assert [job.id for job in job_registries.failed(services.queue)] == [second.id]
    (entry,) = services.store.audit.search(AuditFilter(action="job-retry")).entries
    assert (entry.target, entry.author, entry.details) == (
        first.id,
        "ann",
        {"job": "notify.send_sms"},
    )


def test_retry_all(hotline, services, run_jobs):
    jobs = failed_jobs(services, run_jobs, "+15155550111", "+15155550122")
    result = hotline("jobs", "retry", "--all", "--by", "ann")
    assert result.exit_code == 0
    assert sorted(result.output.splitlines()) == sorted(
        f"Retrying {job.id} (notify.send_sms)" for job in jobs
    )
    assert sorted(services.queue.job_ids) == sorted(job.id for job in jobs)
    assert job_registries.failed(services.queue) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("jobs", "retry"), "Error: give either a JOB_ID or --all"),
        (("jobs", "retry", "abc", "--all"), "Error: give either a JOB_ID or --all"),
        (("jobs", "retry", "abc"), "Error: no failed job has the id 'abc'"),
    ],
)
def test_retry_rejects_what_it_cannot_do(hotline, services, args, message):
    result = hotline(*args)
    assert result.exit_code != 0
    assert message in result.output
    assert services.queue.job_ids == []
