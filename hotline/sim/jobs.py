"""RQ jobs in virtual time: run at the virtual moment they are enqueued.

A worker process would run them a moment later on the wall clock, which in a
night simulated in seconds is hours late. So after each webhook that can
enqueue work, the simulator takes the jobs off Hotline's real RQ queue and
performs them in this process, in order, with the app's own Services.
"""

from __future__ import annotations

from rq import Queue
from rq.job import Job


def drain(queue: Queue) -> int:
    """Perform every job waiting in `queue`; returns how many ran."""
    ran = 0
    while queue.count:
        job_id = queue.pop_job_id()
        if job_id is None:
            break
        job = Job.fetch(job_id, connection=queue.connection)
        job.perform()
        job.delete()
        ran += 1
    return ran
