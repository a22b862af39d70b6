"""Job: hand waiting chairs to free volunteers, as many as can be paired now.

Run after every event that can make a match: a chair joins the line, a
volunteer becomes free, a caller leaves. Each pairing is made atomically in
Redis (store/dispatch.py), then the caller is moved out of Twilio's queue into
the volunteer's room with a Queue Member update (or, for a chair who asked to
be called back, phoned). A caller Twilio says is gone
is given up (their place kept, in case they call back) and the next one
taken. If Twilio cannot be reached, both go back where they were and the job
fails, so RQ retries it with backoff. Pairings left behind by a job that
died are recovered first; the connect webhook keeps that from pairing anyone
twice.
"""

from __future__ import annotations

from urllib.parse import urlencode

from rq import Retry

from hotline.store.dispatch import Pairing
from hotline.telephony import CallGone, TelephonyError, telephony_for
from workers import runtime

# A pairing neither confirmed by the connect webhook nor undone this long
# after it was made belongs to a dispatcher that died.
STALE_PAIRING_S = 30.0
# RQ retries a dispatch that could not reach Twilio after these pauses.
RETRY = Retry(max=5, interval=[1, 2, 4, 8, 15])


def dispatch_callers() -> dict[str, int]:
    services = runtime.current()
    store, settings, clock = services.store, services.settings, services.clock
    recovered = sum(
        store.dispatch.give_up(pairing)
        for pairing in store.dispatch.stale_pairings(now=clock.now(),
                                                     older_than_s=STALE_PAIRING_S)
    )  # fmt: skip
    telephony = telephony_for(services)
    moved = gone = 0
    while (pairing := store.dispatch.pair(now=clock.now())) is not None:
        try:
            if pairing.entry.get("callback"):
                # The chair hung up to be called back: phone them now.
                telephony.place_call(
                    pairing.number, pairing.entry.get("to") or "",
                    pairing_url(settings.public_url, "/voice/callback-answer", pairing),
                    pairing_url(settings.public_url, "/voice/callback-status", pairing),
                )  # fmt: skip
            else:
                telephony.move_queue_member(
                    settings.queue_name, pairing.call_sid,
                    pairing_url(settings.public_url, "/voice/connect", pairing))  # fmt: skip
        except CallGone:
            store.dispatch.undo_gone(pairing, keep_place_s=settings.keep_place_for_s)
            gone += 1
            continue
        except TelephonyError:
            # Unreachable (retried with backoff) or refused (a configuration fault, for
            # the logs): either way both go back where they were first.
            store.dispatch.undo_retry(pairing)
            raise
        moved += 1
    return {"moved": moved, "gone": gone, "recovered": recovered}


def pairing_url(public_url: str, path: str, pairing: Pairing) -> str:
    """A webhook URL that names the pairing (Twilio signs it, so it cannot be forged; the
    pairing's id makes a replay of it useless once the pairing is done).
    """
    query = urlencode({"volunteer": pairing.volunteer, "precinct": pairing.precinct,
                       "pairing": pairing.id})  # fmt: skip
    return f"{public_url}{path}?{query}"


def enqueue_dispatch(services) -> None:
    """Queue a dispatch run (from a webhook: one short pipeline to Redis)."""
    services.queue.enqueue(dispatch_callers, job_timeout=30, retry=RETRY)
