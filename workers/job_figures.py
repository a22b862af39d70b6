"""What the workers count for GET /metrics: failed jobs, retries, dispatch latency.

Counted in Redis (store/figures.py), where every web server reads them when scraped: the
forking worker runs each job in a child process that ends with it, and workers need not
share a machine, let alone a directory, with the web servers. A count that cannot be
written (Redis gone) is logged and dropped: a figure never fails a job.
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from rq.exceptions import AbandonedJobError, DeserializationError
from rq.job import Job, JobStatus

from workers import runtime

log = logging.getLogger(__name__)


class CountsFailures:
    """Mixed into RQ's worker classes. RQ hands every failed run of a job to
    handle_job_failure, in whichever process saw it fail: the job raised or ran out of
    time (in the process running it), or that process died (in the worker). RQ retries
    the job (it is queued or scheduled again) or gives it up; both are counted.
    """

    def handle_job_failure(self, job: Job, *args, **kwargs) -> None:
        super().handle_job_failure(job, *args, **kwargs)
        retried = job.get_status(refresh=False) in (JobStatus.QUEUED, JobStatus.SCHEDULED)
        count_failure(job, retried=retried)


def count_abandoned(job: Job, exc_type, exc_value, traceback) -> bool:
    """RQ exception handler: a job left running by a worker that died is found by another
    worker's clean-up, outside handle_job_failure; RQ retries it if it has retries left.
    """
    if exc_type is AbandonedJobError:
        count_failure(job, retried=bool(job.retries_left))
    return True  # on to RQ's own handling


def count_failure(job: Job, *, retried: bool) -> None:
    try:
        function = job.func_name.rpartition(".")[2]
    except DeserializationError:
        function = "unreadable"
    try:
        runtime.current().store.figures.count_job(function, retried=retried)
    except RedisError as error:
        log.warning(
            "job %s (%s) failed, and its failure was not counted: Redis unavailable (%s)",
            job.id,
            function,
            type(error).__name__,
        )


def observe_dispatch(seconds: float) -> None:
    try:
        runtime.current().store.figures.observe_dispatch(seconds)
    except RedisError as error:
        log.warning(
            "a dispatch latency was not counted: Redis unavailable (%s)", type(error).__name__
        )
