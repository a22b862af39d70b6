"""Job: end a caller's leg (a volunteer finished with them, or flagged them).

The console never calls Twilio itself; it queues this. A call that has already
ended is what we wanted anyway; a Twilio that cannot be reached is retried.
"""

from __future__ import annotations

from hotline.log_context import about_call
from hotline.telephony import CallGone, telephony_for
from workers import runtime


def hang_up_call(call_sid: str) -> dict[str, object]:
    services = runtime.current()
    with about_call(call_sid):
        try:
            telephony_for(services).hang_up(call_sid)
        except CallGone:
            return {"call_sid": call_sid, "gone": True}
    return {"call_sid": call_sid, "hung_up": True}
