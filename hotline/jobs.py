"""The one place the web code (and the workers) queue jobs: each job's name, its limits
and its retries. Jobs are named by their dotted path, so nothing in `hotline` imports
`workers`: the workers import `hotline`, never the other way round.

A job waits at most `wait_s`: a dispatch or a call back that starts minutes late is of
no use (a newer event queues a fresh one), and a queue backed up by hours of stale jobs
would only delay the useful ones. Results are kept briefly; failures for two days, for
the admins to read and retry.
"""

from __future__ import annotations

from typing import Any

from rq import Retry

RESULT_TTL_S = 600
FAILURE_TTL_S = 2 * 86400


def enqueue(services, job: str, *args: Any, wait_s: int, run_s: int,
            retry: Retry | None = None) -> None:  # fmt: skip
    """Queue the job named `job` (a dotted path under workers/) with `args`: dropped unless
    a worker starts it within `wait_s`, stopped if it runs longer than `run_s`.
    """
    services.queue.enqueue(job, *args, ttl=wait_s, job_timeout=run_s, retry=retry,
                           result_ttl=RESULT_TTL_S, failure_ttl=FAILURE_TTL_S)  # fmt: skip


def enqueue_dispatch(services) -> None:
    """A dispatch run (from a webhook: one short pipeline to Redis); retried while Twilio
    cannot be reached.
    """
    enqueue(services, "workers.dispatch.dispatch_callers", wait_s=120, run_s=30,
            retry=Retry(max=5, interval=[1, 2, 4, 8, 15]))  # fmt: skip


def enqueue_hang_up(services, call_sid: str) -> None:
    enqueue(services, "workers.hang_up.hang_up_call", call_sid, wait_s=120, run_s=30,
            retry=Retry(max=3, interval=[1, 3, 10]))  # fmt: skip


def enqueue_sms(services, to: str, from_: str, body: str) -> None:
    """A text message to `to` from the hotline's number `from_`; a text that could not be
    sent is tried again after a while.
    """
    enqueue(services, "workers.notify.send_sms", to, from_, body, wait_s=3600, run_s=30,
            retry=Retry(max=3, interval=[5, 30, 120]))  # fmt: skip


def enqueue_verification_call(services, verification_id: str) -> None:
    enqueue(services, "workers.verification_call.place_verification_call", verification_id,
            wait_s=120, run_s=30, retry=Retry(max=3, interval=[2, 5, 15]))  # fmt: skip


def enqueue_call_end(services, call_sid: str) -> None:
    enqueue(services, "workers.call_end.process_call_end", call_sid, wait_s=3600, run_s=60)


def enqueue_reconcile(services) -> None:
    enqueue(services, "workers.reconcile.reconcile_line", wait_s=300, run_s=60,
            retry=Retry(max=3, interval=[5, 15, 30]))  # fmt: skip


def enqueue_sweep_blocks(services) -> None:
    # No retry: a sweep that fails or waits too long is done by the next round's.
    enqueue(services, "workers.sweep_blocks.sweep_blocks", wait_s=120, run_s=60)


def enqueue_night_sample(services) -> None:
    # No retry either: a minute's sample taken late is a wrong one; the next round's comes.
    enqueue(services, "workers.night_sample.sample_the_night", wait_s=60, run_s=60)
