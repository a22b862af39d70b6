"""Every job Hotline queues may wait only so long, and leaves its failure for two days at
most: a backed-up queue drains itself of stale work, and Redis does not keep every
job's history forever (finding 5, jobs piling up with no TTL).
"""

from __future__ import annotations

from hotline.jobs import (
    FAILURE_TTL_S,
    enqueue_dispatch,
    enqueue_hang_up,
    enqueue_reconcile,
    enqueue_sms,
    enqueue_verification_call,
)


def test_every_kind_of_job_has_a_limit_on_its_wait_and_its_record(services):
    enqueue_dispatch(services)
    enqueue_hang_up(services, "CA1")
    enqueue_sms(services, "+15155550101", "+15155550000", "hello")
    enqueue_reconcile(services)
    enqueue_verification_call(services, "abc")
    jobs = services.queue.jobs
    assert len(jobs) == 5
    for job in jobs:
        assert job.ttl is not None and 0 < job.ttl <= 3600, job.func_name
        assert job.failure_ttl == FAILURE_TTL_S
        assert 0 < services.queue.connection.ttl(job.key) <= job.ttl, job.func_name
