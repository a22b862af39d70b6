"""RQ jobs in virtual time: run at the virtual moment they are enqueued.

A worker process would run them a moment later on the wall clock, which in a
night simulated in seconds is hours late. So after each webhook that can
enqueue work, the simulator takes the jobs off Hotline's real RQ queue and
performs them in this process, in order, with the app's own Services.

A night runs thousands of jobs, and each Redis round trip here is one the night
waits for: a job costs two (take it off the queue, fetch it), and the jobs of
one drain are forgotten together in a single pipeline at its end.

Jobs queued for later (a rotation's texts, paced) wait in RQ's scheduled registry, as
they do for a worker; `enqueue_due` moves those whose virtual time has come onto the
queue, as RQ's scheduler does on the wall clock.
"""

from __future__ import annotations

from rq import Queue
from rq.executions import ExecutionRegistry
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from rq.results import Result
from rq.utils import as_text


def drain(queue: Queue) -> int:
    """Perform every job waiting in `queue` (and those they queue); returns how many ran."""
    connection = queue.connection
    done: list[Job] = []
    try:
        # Queue.pop_job_id, but an empty queue answers None rather than raising: one round
        # trip per job and one to find the queue empty, instead of asking its length first.
        while (job_id := connection.lpop(queue.key)) is not None:
            job = Job.fetch(as_text(job_id), connection=connection, serializer=queue.serializer)
            job.perform()
            done.append(job)
    finally:
        if done:
            with connection.pipeline(transaction=False) as pipe:
                for job in done:
                    _forget(job, pipe)
                pipe.execute()
    return len(done)


def _forget(job: Job, pipe) -> None:
    """Delete what Job.delete deletes of a job taken off its queue and performed here: no
    worker started it, so it is in no registry and has no executions, dependents or result.
    Job ids are never reused, so deleting after the drain's later jobs ran is the same.
    """
    pipe.delete(
        job.key,
        job.dependents_key,
        job.dependencies_key,
        Result.get_key(job.id),
        ExecutionRegistry(job.id, connection=job.connection).key,
    )


def enqueue_due(queue: Queue, now: float) -> int:
    """Queue the jobs scheduled for `now` or earlier (RQ keeps whole seconds); returns how
    many.
    """
    registry = ScheduledJobRegistry(queue=queue)
    due = registry.get_jobs_to_schedule(int(now))
    for job in Job.fetch_many(due, connection=queue.connection, serializer=queue.serializer):
        if job is not None:
            queue.enqueue_job(job)
    for job_id in due:
        registry.remove(job_id)
    return len(due)


def next_scheduled(queue: Queue) -> float | None:
    """When the earliest scheduled job is due, or None if none is."""
    first = queue.connection.zrange(ScheduledJobRegistry(queue=queue).key, 0, 0, withscores=True)
    return float(first[0][1]) if first else None
