"""What an operator needs to know is working: Redis, the workers, the queue, the clock.

`/healthz` answers 503 as soon as one of the essential checks fails (a load balancer or
a monitor acts on it); `hotline doctor` prints every check with its detail.

RQ keeps its workers' heartbeats and its jobs' times on the wall clock, so those checks
measure against the time Redis reports (the one clock every process shares), not the
app's injected clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from rq import Worker
from rq.job import Job

from hotline.services import Services
from hotline.settings import ConfigError

# A worker that has not beaten its heart for this long is taken for dead.
HEARTBEAT_WITHIN_S = 30.0
# Jobs waiting, and how long the oldest may wait, before the queue counts as backed up.
QUEUE_DEPTH_BOUND = 500
OLDEST_JOB_BOUND_S = 60.0
# How far the app's clock may stand from Redis's before timings go wrong.
CLOCK_SKEW_BOUND_S = 2.0
SCHEDULER_LOCK = "rq:scheduler-lock:{queue}"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def essential_checks(services: Services) -> list[Check]:
    """What /healthz answers on: Redis reachable, a live worker, the queue moving."""
    redis_check = redis_reachable(services)
    if not redis_check.ok:
        return [redis_check]
    now = redis_time(services)
    return [redis_check, worker_heartbeat(services, now), queue_backlog(services, now)]


def every_check(services: Services) -> list[Check]:
    """What `hotline doctor` prints."""
    redis_check = redis_reachable(services)
    if not redis_check.ok:
        return [redis_check, configuration(services)]
    now = redis_time(services)
    return [
        redis_check,
        redis_persistent(services),
        worker_heartbeat(services, now),
        queue_backlog(services, now),
        scheduler_running(services),
        clock_skew(services, now),
        configuration(services),
    ]


def redis_reachable(services: Services) -> Check:
    try:
        services.store.redis.ping()
    except redis.RedisError as error:
        return Check("redis", False, f"unreachable ({type(error).__name__})")
    return Check("redis", True, "answers")


def redis_time(services: Services) -> float:
    seconds, microseconds = services.store.redis.time()
    return seconds + microseconds / 1e6


def redis_persistent(services: Services) -> Check:
    """An append-only file (or snapshots) keeps the night across a restart of Redis."""
    info = services.store.redis.info("persistence")
    if info.get("aof_enabled"):
        return Check("persistence", True, "append-only file on")
    if info.get("rdb_last_save_time"):
        return Check(
            "persistence",
            False,
            "snapshots only: a crash loses everything since the last one (turn appendonly on)",
        )
    return Check("persistence", False, "none: a restart of Redis loses the night")


def worker_heartbeat(services: Services, now: float) -> Check:
    workers = Worker.all(queue=services.queue)
    beats = [worker.last_heartbeat for worker in workers if worker.last_heartbeat]
    if not beats:
        return Check("worker", False, "no worker is running (start `hotline worker`)")
    newest = max(_epoch(beat) for beat in beats)
    age = now - newest
    if age > HEARTBEAT_WITHIN_S:
        return Check("worker", False, f"no heartbeat for {age:.0f}s from {len(workers)} worker(s)")
    return Check("worker", True, f"{len(workers)} worker(s), last heartbeat {age:.0f}s ago")


def queue_backlog(services: Services, now: float) -> Check:
    queue = services.queue
    depth = queue.count
    oldest_id = queue.get_job_ids(0, 1)
    waited = 0.0
    if oldest_id:
        job = Job.fetch(oldest_id[0], connection=queue.connection)
        if job.enqueued_at is not None:
            waited = now - _epoch(job.enqueued_at)
    detail = f"{depth} job(s) waiting, the oldest for {max(waited, 0.0):.0f}s"
    ok = depth <= QUEUE_DEPTH_BOUND and waited <= OLDEST_JOB_BOUND_S
    return Check("queue", ok, detail if ok else f"backed up: {detail}")


def scheduler_running(services: Services) -> Check:
    """RQ's scheduler (run by the workers) enqueues the retries of failed jobs."""
    key = SCHEDULER_LOCK.format(queue=services.queue.name)
    if services.queue.connection.exists(key):
        return Check("scheduler", True, "running: retries will be enqueued")
    return Check("scheduler", False, "not running: failed jobs will not be retried")


def clock_skew(services: Services, now: float) -> Check:
    skew = services.clock.now() - now
    ok = abs(skew) <= CLOCK_SKEW_BOUND_S
    return Check("clock", ok, f"{skew:+.1f}s from Redis's clock")


def configuration(services: Services) -> Check:
    problems = services.settings.start_up_problems()
    if not problems:
        return Check("config", True, "every required setting is set")
    try:
        services.settings.check_for_production()
    except ConfigError:
        return Check("config", False, "; ".join(problems))
    return Check("config", True, "development: " + "; ".join(problems))


def _epoch(moment: datetime) -> float:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
