"""Job: end a caller's leg (a volunteer finished with them, or flagged them).

The console never calls Twilio itself; it queues this. A call that has already
ended is what we wanted anyway; a Twilio that cannot be reached is retried.
"""

from __future__ import annotations

from rq import Retry

from hotline.telephony import CallGone, telephony_for
from workers import runtime
from workers.queueing import enqueue

RETRY = Retry(max=3, interval=[1, 3, 10])


def hang_up_call(call_sid: str) -> dict[str, object]:
    services = runtime.current()
    try:
        telephony_for(services).hang_up(call_sid)
    except CallGone:
        return {"call_sid": call_sid, "gone": True}
    return {"call_sid": call_sid, "hung_up": True}


def enqueue_hang_up(services, call_sid: str) -> None:
    enqueue(services, hang_up_call, call_sid, wait_s=120, run_s=30, retry=RETRY)
