"""A call's status changes: the change recorded once and in order, and, when the call has
ended, what its end sets going: the call back it booked, the volunteer it frees (and the
dispatch that gives them the next chair), the bookkeeping job of a common-path call.
"""

from __future__ import annotations

from hotline.jobs import enqueue_call_end, enqueue_dispatch, enqueue_verification_call
from hotline.services import Services
from hotline.store.calls import CallRecord

TERMINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


def status_changed(
    svc: Services, *, call_sid: str, status: str, sequence: int | None, duration_s: int | None
) -> None:
    """Twilio's status callback: idempotent and order-tolerant (a late or repeated
    callback changes nothing). Calls this hotline never answered are ignored.
    """
    record = svc.store.calls.get(call_sid)
    if record is None:
        return
    terminal = status in TERMINAL_STATUSES
    ended = svc.store.calls.end(
        now=svc.clock.now(),
        call_sid=call_sid,
        status=status,
        sequence=sequence,
        duration_s=duration_s,
        terminal=terminal,
        precinct=record.precinct,
        keep_place_s=svc.settings.keep_place_for_s,
    )
    if ended.applied and terminal:
        _after_call_end(svc, call_sid, record)


def _after_call_end(svc: Services, call_sid: str, record: CallRecord) -> None:
    now = svc.clock.now()
    if record.call_back:
        # The call asked to be proved by a call back: now that it is over, ring the phone.
        enqueue_verification_call(svc, record.call_back)
    if record.kind == "volunteer" and record.volunteer:
        svc.store.dispatch.volunteer_left(record.volunteer, call_sid, now=now)
        return
    if record.volunteer and svc.store.dispatch.caller_left(record.volunteer, call_sid, now=now):
        enqueue_dispatch(svc)  # the volunteer is free for the next chair
    # Only calls that took the common path leave bookkeeping for the job: a
    # rejected or diverted call's verdict is already recorded and counted, and it cannot
    # be an instant hang-up. During a flood that is most calls, and most jobs saved. (A
    # call on the common path that a PIN failure blocked has a verdict on record, but its
    # arrival is still to be counted.)
    if record.counted is None and record.facts:
        enqueue_call_end(svc, call_sid)
