"""Job: the call back that proves a chair or a volunteer whose PIN budget is spent.

It phones the registered phone from the hotline number they dialled; whoever answers
hears who is calling and keys the PIN (the call-back webhooks in voice/verification.py).
A Twilio that cannot be reached is retried; a number Twilio refuses to dial is left to
the backup code, which the person is told of if they call again.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from hotline.settings import language_query
from hotline.telephony import TelephonyError, TransientTelephonyError, telephony_for
from workers import runtime

log = logging.getLogger(__name__)


def place_verification_call(verification_id: str) -> dict[str, object]:
    services = runtime.current()
    verification = services.store.verifications.get(verification_id)
    if verification is None:
        return {"verification": verification_id, "skipped": "expired"}
    public_url = services.settings.public_url
    # Spoken in the language of the call that asked for it.
    params = {"verification": verification_id, **language_query(verification.language)}
    answer = f"{public_url}/voice/verify-answer?{urlencode(params)}"
    try:
        sid = telephony_for(services).place_call(
            verification.phone, verification.from_number, answer, f"{public_url}/voice/status"
        )
    except TransientTelephonyError:
        raise  # RQ retries it
    except TelephonyError as error:
        log.warning("call back for verification %s refused: %s", verification_id, error)
        services.store.verifications.done(verification_id)
        return {"verification": verification_id, "refused": str(error)}
    return {"verification": verification_id, "call_sid": sid}
