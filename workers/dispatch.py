"""Job: hand waiting chairs to free volunteers, as many as can be paired now.

Run after every event that can make a match: a chair joins the line, a
volunteer becomes free, a caller leaves. Each pairing is made atomically in
Redis (store/dispatch.py), then the caller is moved out of Twilio's queue into
the volunteer's room with a Queue Member update (or, for a chair who asked to
be called back, phoned). A caller Twilio says is gone
is given up (their place kept, in case they call back) and the next one
taken. A caller Twilio refuses for good (a number it will not dial) is parked,
place kept, for the admins to see to (store/parked.py), and the next one taken:
one chair can never stop the line. If Twilio cannot be reached, or refuses the
account itself, both go back where they were and the job fails, so RQ retries it
with backoff. So it does when a second caller is refused the same way in one run:
a fault of the hotline's own (a number or URL Twilio rejects for every call) must
not park the whole line at once. Pairings left behind by a job that died are
recovered first; the connect webhook keeps that from pairing anyone twice.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from hotline.jobs import enqueue_sms
from hotline.log_context import about_call
from hotline.settings import language_query
from hotline.store.dispatch import Pairing
from hotline.store.parked import CALL_BACK, MOVE, Refusal
from hotline.telephony import (
    AccountRefused,
    CallGone,
    TelephonyError,
    TransientTelephonyError,
    telephony_for,
)
from workers import runtime
from workers.job_figures import observe_dispatch

log = logging.getLogger(__name__)

# A pairing neither confirmed by the connect webhook nor undone this long
# after it was made belongs to a dispatcher that died.
STALE_PAIRING_S = 30.0


def dispatch_callers() -> dict[str, int]:
    services = runtime.current()
    store, settings, clock = services.store, services.settings, services.clock
    recovered = sum(
        store.dispatch.give_up(pairing)
        for pairing in store.dispatch.stale_pairings(now=clock.now(), older_than_s=STALE_PAIRING_S)
    )
    telephony = telephony_for(services)
    moved = gone = parked = 0
    causes: set[tuple[str, int | None, int | None]] = set()  # of this run's refusals
    while (pairing := store.dispatch.pair(now=clock.now())) is not None:
        with about_call(pairing.call_sid):
            calling_back = bool(pairing.entry.get("callback"))
            try:
                if calling_back:
                    # The chair hung up to be called back: phone them now.
                    sid = telephony.place_call(
                        pairing.number,
                        pairing.entry.get("to") or "",
                        pairing_url(settings.public_url, "/voice/callback-answer", pairing),
                        pairing_url(settings.public_url, "/voice/callback-status", pairing),
                    )
                    # On record like any call, so that the night's report sees the chair
                    # served.
                    store.calls.record_leg(
                        now=clock.now(),
                        call_sid=sid,
                        number=pairing.number,
                        kind="caller",
                        verdict="call-back",
                        precinct=pairing.precinct,
                    )
                else:
                    telephony.move_queue_member(
                        settings.queue_name,
                        pairing.call_sid,
                        pairing_url(settings.public_url, "/voice/connect", pairing),
                    )
            except CallGone:
                store.dispatch.undo_gone(pairing, keep_place_s=settings.keep_place_for_s)
                gone += 1
                continue
            except (TransientTelephonyError, AccountRefused):
                # Nothing to do with this chair: Twilio cannot be reached now, or refuses our
                # credentials. Both go back where they were, and RQ retries the job.
                store.dispatch.undo_retry(pairing)
                raise
            except TelephonyError as error:
                # Twilio refused this chair for good: trying again would fail the same way.
                refusal = Refusal(
                    what=CALL_BACK if calling_back else MOVE,
                    message=str(error),
                    status=error.status,
                    code=error.code,
                )
                if refusal.cause in causes:
                    # A second chair refused the same way: more likely our fault than theirs.
                    # Park no more in this run; the retry parks this chair if it was theirs.
                    store.dispatch.undo_retry(pairing)
                    raise
                causes.add(refusal.cause)
                parked += park(services, pairing, refusal)
                continue
            if not calling_back:
                # From the moment the two could be paired: the later of the volunteer
                # coming free and the chair joining the line.
                observe_dispatch(clock.now() - max(pairing.free_since, pairing.waiting_since))
            moved += 1
    return {"moved": moved, "gone": gone, "parked": parked, "recovered": recovered}


def park(services, pairing: Pairing, refusal: Refusal) -> bool:
    """Park the chair Twilio refused, and tell whoever can act: the chair by text when it
    was their call back that was refused (they can still call in), the admins always (the
    audit trail and the console's list of parked chairs). False if the pairing was no
    longer this job's to undo.
    """
    chair = services.store.dispatch.park(pairing, refusal, now=services.clock.now())
    if chair is None:
        return False
    log.warning("parked precinct %s (%s): %s", chair.precinct, chair.call_sid, refusal.message)
    hotline_number = chair.entry.get("to")
    if refusal.what == CALL_BACK and chair.number and hotline_number:
        prompts = services.settings.language(chair.entry.get("language")).prompts
        body = prompts["callback_refused_sms"].format(
            precinct=chair.precinct, hotline=hotline_number
        )
        enqueue_sms(services, chair.number, hotline_number, body)
    return True


def pairing_url(public_url: str, path: str, pairing: Pairing) -> str:
    """A webhook URL that names the pairing (Twilio signs it, so it cannot be forged; the
    pairing's id makes a replay of it useless once the pairing is done), and the chair's
    language, which it speaks.
    """
    params = {
        "volunteer": pairing.volunteer,
        "precinct": pairing.precinct,
        "pairing": pairing.id,
        **language_query(pairing.entry.get("language")),
    }
    return f"{public_url}{path}?{urlencode(params)}"
