"""How every job is queued: a limit on how long it may wait, and how long RQ keeps what
became of it.

A job waits at most `wait_s`: a dispatch or a call back that starts minutes late is of
no use (a newer event queues a fresh one), and a queue backed up by hours of stale jobs
would only delay the useful ones. Results are kept briefly; failures for two days, for
the admins to read and retry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rq import Retry

RESULT_TTL_S = 600
FAILURE_TTL_S = 2 * 86400


def enqueue(services, job: Callable[..., Any], *args: Any, wait_s: int, run_s: int,
            retry: Retry | None = None) -> None:  # fmt: skip
    """Queue `job(*args)`: dropped unless a worker starts it within `wait_s`, stopped if it
    runs longer than `run_s`.
    """
    services.queue.enqueue(job, *args, ttl=wait_s, job_timeout=run_s, retry=retry,
                           result_ttl=RESULT_TTL_S, failure_ttl=FAILURE_TTL_S)  # fmt: skip
