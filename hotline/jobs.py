"""The one place the web code (and the workers) queue jobs: each job's name, its limits
and its retries. Jobs are named by their dotted path, so nothing in `hotline` imports
`workers`: the workers import `hotline`, never the other way round.

A job waits at most `wait_s`: a dispatch or a call back that starts minutes late is of
no use (a newer event queues a fresh one), and a queue backed up by hours of stale jobs
would only delay the useful ones. Results are kept briefly; failures for two days, for
the admins to read and retry.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from rq import Retry

RESULT_TTL_S = 600
FAILURE_TTL_S = 2 * 86400


def enqueue(
    services,
    job: str,
    *args: Any,
    wait_s: int,
    run_s: int,
    retry: Retry | None = None,
    at: float | None = None,
) -> None:
    """Queue the job named `job` (a dotted path under workers/) with `args`: dropped unless
    a worker starts it within `wait_s`, stopped if it runs longer than `run_s`. With `at`
    (a time from the services' clock) it is queued then, by the worker's scheduler, to
    the second: RQ keeps whole seconds, so `at` is rounded up, never down.
    """
    options = {
        "ttl": wait_s,
        "job_timeout": run_s,
        "retry": retry,
        "result_ttl": RESULT_TTL_S,
        "failure_ttl": FAILURE_TTL_S,
    }
    if at is None or at <= services.clock.now():
        services.queue.enqueue(job, *args, **options)
    else:
        when = datetime.fromtimestamp(math.ceil(at), UTC)
        services.queue.enqueue_at(when, job, *args, **options)


def enqueue_dispatch(services) -> None:
    """A dispatch run (from a webhook: one short pipeline to Redis); retried while Twilio
    cannot be reached.
    """
    enqueue(
        services,
        "workers.dispatch.dispatch_callers",
        wait_s=120,
        run_s=30,
        retry=Retry(max=5, interval=[1, 2, 4, 8, 15]),
    )


def enqueue_hang_up(services, call_sid: str) -> None:
    enqueue(
        services,
        "workers.hang_up.hang_up_call",
        call_sid,
        wait_s=120,
        run_s=30,
        retry=Retry(max=3, interval=[1, 3, 10]),
    )


def enqueue_sms(services, to: str, from_: str, body: str) -> None:
    """A text message to `to` from the hotline's number `from_`; a text that could not be
    sent is tried again after a while.
    """
    enqueue(
        services,
        "workers.notify.send_sms",
        to,
        from_,
        body,
        wait_s=3600,
        run_s=30,
        retry=Retry(max=3, interval=[5, 30, 120]),
    )


def enqueue_rotation(
    services, *, author: str, number: str | None, area_code: str | None, region: str | None
) -> None:
    """A rotation of the hotline's number (steps/numbers.py). Not retried: a retry after a
    purchase that Twilio carried out would buy a second number.
    """
    enqueue(
        services,
        "workers.rotation.rotate",
        author,
        number,
        area_code,
        region,
        wait_s=300,
        run_s=120,
    )


def enqueue_rotation_texts(services, rotation_id: str, at: float | None = None) -> None:
    """The texts of a rotation that the pace allows (now, or `at`); the job queues itself
    again for the next ones, and handles Twilio's failures itself.
    """
    enqueue(services, "workers.rotation.send_texts", rotation_id, wait_s=600, run_s=60, at=at)


def enqueue_verification_call(services, verification_id: str) -> None:
    enqueue(
        services,
        "workers.verification_call.place_verification_call",
        verification_id,
        wait_s=120,
        run_s=30,
        retry=Retry(max=3, interval=[2, 5, 15]),
    )


def enqueue_call_end(services, call_sid: str) -> None:
    enqueue(services, "workers.call_end.process_call_end", call_sid, wait_s=3600, run_s=60)


def enqueue_reconcile(services) -> None:
    enqueue(
        services,
        "workers.reconcile.reconcile_line",
        wait_s=300,
        run_s=60,
        retry=Retry(max=3, interval=[5, 15, 30]),
    )


def enqueue_sweep_blocks(services) -> None:
    # No retry: a sweep that fails or waits too long is done by the next round's.
    enqueue(services, "workers.sweep_blocks.sweep_blocks", wait_s=120, run_s=60)


def enqueue_night_sample(services) -> None:
    # No retry either: a minute's sample taken late is a wrong one; the next round's comes.
    enqueue(services, "workers.night_sample.sample_the_night", wait_s=60, run_s=60)
