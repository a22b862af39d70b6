"""Job: a text message to a chair, sent through Twilio (never from a webhook)."""

from __future__ import annotations

from hotline.telephony import telephony_for
from workers import runtime


def send_sms(to: str, from_: str, body: str) -> str:
    """Send `body` to `to`; returns the message SID. Failures raise, and RQ retries."""
    return telephony_for(runtime.current()).send_sms(to, from_, body)
