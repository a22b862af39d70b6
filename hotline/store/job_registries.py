"""The Hotline queue's jobs as RQ keeps them, for the admins: how many wait, run, wait to
be retried and have failed, and the failed ones, to read and to retry.

A job fails for good once its retries (hotline/jobs.py) are spent, or at once when it has
none; RQ keeps it in its registry of failed jobs for two days (jobs.FAILURE_TTL_S).
Retrying one puts it back on the queue as it was first queued, with the same arguments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rq import Queue
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from hotline.phone import mask_number

# An argument longer than this is shown cut short.
ARGUMENT_SHOWN = 24
# Jobs are named by their dotted path under workers/ (hotline/jobs.py).
JOBS_PACKAGE = "workers."
# A phone number in E.164, inside an exception's message.
PHONE_NUMBER = re.compile(r"\+[0-9]{6,15}")


@dataclass(frozen=True)
class JobKeys:
    """Where RQ keeps the queue and its registries: the board reads their sizes in the
    same pipeline as its other figures.
    """

    queued: str
    running: str
    retrying: str
    failed: str


@dataclass(frozen=True)
class FailedJob:
    id: str
    function: str
    arguments: str
    failed_at: float | None
    error: str


def job_keys(queue: Queue) -> JobKeys:
    return JobKeys(
        queued=queue.key,
        running=StartedJobRegistry(queue=queue).key,
        retrying=ScheduledJobRegistry(queue=queue).key,
        failed=FailedJobRegistry(queue=queue).key,
    )


def summarise(value: Any) -> str:
    """One argument as an admin may see it: a phone number with all but its last four
    digits hidden, as in logs, a long text cut short.
    """
    text = str(value)
    if PHONE_NUMBER.fullmatch(text):
        return mask_number(text)
    return text if len(text) <= ARGUMENT_SHOWN else text[: ARGUMENT_SHOWN - 1] + "…"


def masked(text: str) -> str:
    """`text` with every phone number in it masked (an exception may name one)."""
    return PHONE_NUMBER.sub(lambda found: mask_number(found.group()), text)


def _describe(job: Job) -> FailedJob:
    result = job.latest_result()
    lines = [line for line in (result.exc_string if result else "").splitlines() if line.strip()]
    arguments = [summarise(a) for a in job.args] + [
        f"{name}={summarise(value)}" for name, value in sorted(job.kwargs.items())
    ]
    return FailedJob(
        id=job.id,
        function=(job.func_name or "").removeprefix(JOBS_PACKAGE),
        arguments=", ".join(arguments),
        failed_at=job.ended_at.timestamp() if job.ended_at else None,
        error=masked(lines[-1].strip()) if lines else "",
    )


def failed(queue: Queue, limit: int = 50) -> list[FailedJob]:
    """The failed jobs, the most recent failures first (their registry is ordered by when
    each is forgotten, two days after it failed).
    """
    registry = FailedJobRegistry(queue=queue)
    ids = registry.get_job_ids(0, limit - 1, desc=True)
    found = [_describe(job) for job in Job.fetch_many(ids, connection=queue.connection) if job]
    # The registry counts in whole seconds: failures within one are told apart here.
    return sorted(found, key=lambda job: job.failed_at or 0.0, reverse=True)


def failed_count(queue: Queue) -> int:
    return FailedJobRegistry(queue=queue).count


def retry(queue: Queue, job_id: str) -> FailedJob | None:
    """Put a failed job back on the queue; None when no failed job has that id."""
    try:
        job = Job.fetch(job_id, connection=queue.connection)
        described = _describe(job)
        FailedJobRegistry(queue=queue).requeue(job)
    except (NoSuchJobError, InvalidJobOperation):
        return None
    return described


def retry_all(queue: Queue) -> list[FailedJob]:
    """Put every failed job back on the queue; the ones it did put back."""
    ids = FailedJobRegistry(queue=queue).get_job_ids()
    return [job for job in (retry(queue, job_id) for job_id in ids) if job is not None]
