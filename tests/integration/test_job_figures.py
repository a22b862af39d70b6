"""What the workers count for GET /metrics, in Redis: failed jobs and retries, whichever
way RQ finds them, and the dispatch latency, exactly, in virtual time.
"""

from __future__ import annotations

import pytest
from rq import Retry
from rq.job import JobStatus
from rq.registry import StartedJobRegistry

from hotline.jobs import enqueue, enqueue_dispatch, enqueue_hang_up
from hotline.sim.network import ApiError
from tests.integration.test_dispatch_flow import chair_calls, volunteer_calls_in
from tests.support.line import entry_of
from tests.support.phone_night import phone_night
from workers.job_figures import count_abandoned
from workers.main import run_worker


@pytest.fixture
def night(redis_url, clock):
    with phone_night(redis_url, clock) as built:
        yield built


def work(services) -> None:
    run_worker(services, burst=True, fork=False)


def test_a_dispatch_twilio_could_not_take_counts_as_a_retry_then_its_latency_once_moved(
    night, clock
):
    services, loop, network, flaky = night
    figures = services.store.figures
    volunteer_calls_in(network, loop)
    chair, chair_call = chair_calls(network, loop, "1001", "+15155550101")
    since = entry_of(services, "1001")["since"]
    assert services.queue.count == 2  # a dispatch for the volunteer, one for the chair
    flaky.down = True

    work(services)

    failed = figures.snapshot()
    assert (failed.job_retries, failed.job_failures) == ({"dispatch_callers": 2}, {})
    assert failed.dispatch_buckets[-1] == (float("inf"), 0)

    flaky.down = False
    clock.advance(4)
    enqueue_dispatch(services)  # what RQ's retry does, later
    work(services)
    # The volunteer was free before the chair joined the line: from the chair's joining.
    latency = clock.now() - since
    loop.run(loop.now() + 10)

    assert chair.connected == [chair_call.sid]
    moved = figures.snapshot()
    assert latency > 0.5
    assert moved.dispatch_sum_s == latency
    assert moved.dispatch_buckets == tuple(
        (bound, 1 if latency <= bound else 0) for bound, _ in moved.dispatch_buckets
    )
    assert (moved.job_retries, moved.job_failures) == ({"dispatch_callers": 2}, {})


def test_a_job_that_fails_is_counted_as_retried_while_it_has_tries_left_else_failed(night):
    services, _, _, flaky = night
    flaky.refusals["/Calls/CA9.json"] = ApiError(400, 20001, "Invalid parameter")

    enqueue_hang_up(services, "CA9")  # three retries
    enqueue(services, "workers.hang_up.hang_up_call", "CA9", wait_s=60, run_s=30)  # none
    work(services)

    snapshot = services.store.figures.snapshot()
    assert (snapshot.job_retries, snapshot.job_failures) == (
        {"hang_up_call": 1},
        {"hang_up_call": 1},
    )


def test_a_job_left_running_by_a_worker_that_died_is_counted(services):
    """RQ's clean-up finds it (outside any worker's handling of a failure) and calls the
    worker's exception handlers, as Worker.clean_registries does.
    """
    with_retry = services.queue.enqueue("workers.hang_up.hang_up_call", "CA1", retry=Retry(1))
    without = services.queue.enqueue("workers.hang_up.hang_up_call", "CA2")
    registry = StartedJobRegistry(queue=services.queue)
    for job in (with_retry, without):
        job.set_status(JobStatus.STARTED)
        services.queue.connection.zadd(registry.key, {f"{job.id}:died-with-its-worker": 1})

    registry.cleanup(exception_handlers=[count_abandoned])

    snapshot = services.store.figures.snapshot()
    assert (snapshot.job_retries, snapshot.job_failures) == (
        {"hang_up_call": 1},
        {"hang_up_call": 1},
    )
