"""The worker entry point: `hotline worker` and the Procfile's worker process."""

from __future__ import annotations

import redis

from hotline.services import Services
from workers import runtime
from workers.housekeeping import Housekeeping
from workers.job_figures import count_abandoned
from workers.worker_classes import HotlineSimpleWorker, HotlineWorker


def run_worker(services: Services, *, burst: bool = False, fork: bool = True) -> bool:
    """Work the Hotline queue until stopped (or, with `burst`, until it is empty).

    The forking Worker runs each job in a child process, so a job that crashes
    or hangs cannot take the worker with it; SimpleWorker runs jobs in-process
    (tests and the virtual-time simulator). Both count failed jobs and retries for GET
    /metrics (workers/job_figures.py).
    """
    runtime.install(services)
    _load_twilio_api()
    worker_class = HotlineWorker if fork else HotlineSimpleWorker
    # Its own connection: waiting for jobs blocks for longer than the short timeouts that
    # the jobs' own Redis calls keep (RQ lengthens this connection's).
    connection = (
        redis.Redis.from_url(services.redis_url)
        if services.redis_url
        else (services.queue.connection)
    )
    worker = worker_class(
        [services.queue], connection=connection, exception_handlers=[count_abandoned]
    )
    if burst:
        return worker.work(burst=True, with_scheduler=False)
    housekeeping = Housekeeping(services)
    housekeeping.start()
    try:
        return worker.work(burst=False, with_scheduler=True)
    finally:
        housekeeping.stop()


def _load_twilio_api() -> None:
    """Import Twilio's REST modules once, in the parent: the forking Worker runs each job
    in a child, and a child that imports them itself spends about 50 ms before its first
    request to Twilio (measured by tests/bench/dispatch.py).
    """
    import twilio.rest.api.v2010.account.call  # noqa: F401
    import twilio.rest.api.v2010.account.message  # noqa: F401
    import twilio.rest.api.v2010.account.queue.member  # noqa: F401
