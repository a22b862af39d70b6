"""The simulator's job runner: every job queued on Hotline's real RQ queue, and every job
those jobs queue, performed by RQ in queue order; nothing of them left in Redis after.
"""

from __future__ import annotations

from rq import Queue, get_current_job

from hotline.sim.jobs import drain

RAN = "test:sim-jobs:ran"
JOB_KEYS = ("rq:job:", "rq:results:", "rq:executions:")


def record(name: str) -> None:
    get_current_job().connection.rpush(RAN, name)


def record_then_queue(name: str, then: str) -> None:
    record(name)
    job = get_current_job()
    Queue(job.origin, connection=job.connection).enqueue(record, then)


def _text(values) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else v for v in values]


def test_drain_performs_every_job_in_queue_order_and_those_they_queue(services):
    queue = services.queue
    queue.enqueue(record_then_queue, "first", "third")
    queue.enqueue(record, "second")

    assert drain(queue) == 3

    assert _text(queue.connection.lrange(RAN, 0, -1)) == ["first", "second", "third"]
    assert queue.count == 0


def test_drain_leaves_no_trace_of_the_jobs_it_ran(services):
    queue = services.queue
    jobs = [queue.enqueue(record, "one"), queue.enqueue(record_then_queue, "two", "three")]
    assert any(key.startswith(JOB_KEYS) for key in _text(queue.connection.keys("rq:*")))

    assert drain(queue) == 3

    assert [key for key in _text(queue.connection.keys("rq:*")) if key.startswith(JOB_KEYS)] == []
    assert all(not queue.connection.exists(job.key) for job in jobs)


def test_drain_of_an_empty_queue_runs_nothing(services):
    assert drain(services.queue) == 0
