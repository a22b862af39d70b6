"""Job: a text message to a chair, sent through Twilio (never from a webhook)."""

from __future__ import annotations

from rq import Retry

from hotline.telephony import telephony_for
from workers import runtime
from workers.queueing import enqueue

# A text that could not be sent is tried again after these pauses.
RETRY = Retry(max=3, interval=[5, 30, 120])


def send_sms(to: str, from_: str, body: str) -> str:
    """Send `body` to `to`; returns the message SID. Failures raise, and RQ retries."""
    return telephony_for(runtime.current()).send_sms(to, from_, body)


def enqueue_sms(services, to: str, from_: str, body: str) -> None:
    """Queue a text message to `to` from the hotline's number `from_`."""
    enqueue(services, send_sms, to, from_, body, wait_s=3600, run_s=30, retry=RETRY)
