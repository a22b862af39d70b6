"""What the workers count for GET /metrics, and the figures of the line, read at scrape time.

The web servers count what their webhooks do in their own memory (hotline/metrics.py): a
webhook must not spend a Redis round trip on a counter. The workers count here, in Redis,
instead: RQ's forking worker runs each job in a child process that ends with the job, and
workers may run on other machines than the web servers, so the one place their counts
outlive the process and reach every web server is the Redis they all share already. A job
talks to Redis anyway; a count costs it one more round trip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import redis

from hotline.store import keys

# Upper bounds (seconds) of the dispatch latency histogram's buckets: a move takes one
# request to Twilio once the job runs; a retry after Twilio failed takes seconds more.
DISPATCH_BUCKETS_S = (0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
FAILED, RETRIED = "failed", "retried"


@dataclass(frozen=True)
class Snapshot:
    line_depth: int
    # When the chair at the front of the line (the earliest arrival) joined it; None when
    # nobody waits.
    oldest_since: float | None
    # Job function name -> count.
    job_failures: dict[str, int]
    job_retries: dict[str, int]
    # (upper bound, dispatches that took at most that long), cumulative; the last bound is
    # infinity, its count every dispatch.
    dispatch_buckets: tuple[tuple[float, int], ...]
    dispatch_sum_s: float


class Figures:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    def count_job(self, function: str, *, retried: bool) -> None:
        """A run of the job `function` failed: RQ retries it (`retried`), or gives it up."""
        self._redis.hincrby(keys.JOB_FIGURES, f"{RETRIED if retried else FAILED}:{function}", 1)

    def observe_dispatch(self, seconds: float) -> None:
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(keys.DISPATCH_FIGURES, _bucket_field(seconds), 1)
            pipe.hincrbyfloat(keys.DISPATCH_FIGURES, "sum", seconds)
            pipe.execute()

    def snapshot(self) -> Snapshot:
        """The line and the workers' counts, in one round trip."""
        with self._redis.pipeline(transaction=False) as pipe:
            pipe.zcard(keys.LINE)
            pipe.zrange(keys.LINE, 0, 0, withscores=True)
            pipe.hgetall(keys.JOB_FIGURES)
            pipe.hgetall(keys.DISPATCH_FIGURES)
            depth, front, jobs, dispatch = pipe.execute()
        counts: dict[str, dict[str, int]] = {FAILED: {}, RETRIED: {}}
        for field, value in jobs.items():
            kind, _, function = field.partition(":")
            if kind in counts:
                counts[kind][function] = int(value)
        return Snapshot(
            line_depth=int(depth),
            oldest_since=float(front[0][1]) if front else None,
            job_failures=counts[FAILED],
            job_retries=counts[RETRIED],
            dispatch_buckets=_cumulative(dispatch),
            dispatch_sum_s=float(dispatch.get("sum", 0.0)),
        )


def _bucket_field(seconds: float) -> str:
    bound = next((b for b in DISPATCH_BUCKETS_S if seconds <= b), math.inf)
    return f"le:{bound!r}"


def _cumulative(fields: dict[str, str]) -> tuple[tuple[float, int], ...]:
    running, buckets = 0, []
    for bound in (*DISPATCH_BUCKETS_S, math.inf):
        running += int(fields.get(f"le:{bound!r}", 0))
        buckets.append((bound, running))
    return tuple(buckets)
