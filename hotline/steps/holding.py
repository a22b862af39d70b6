"""A chair holds in Twilio's queue: their place in the line, the dispatch their arrival in
the queue sets going, and the chair Redis lost put back.
"""

from __future__ import annotations

from hotline.jobs import enqueue_dispatch
from hotline.services import Services
from hotline.steps.verification import Caller, join_line


def place_in_line(
    svc: Services,
    *,
    call_sid: str,
    precinct: str,
    number: str | None,
    hotline_number: str | None,
    waited_s: int,
    language: str | None = None,
) -> int | None:
    """The holding chair's 1-based place in the line, or None when they are not in it.
    `precinct` is the one the wait URL names ("" when it names none), `language` the
    call's (None for the hotline's first).
    """
    position, first = svc.store.line.holding(call_sid)
    if position is None and precinct:
        # Redis lost this chair (a restart): Twilio's queue still holds the call, and the
        # reconcile job has said so; the wait URL, which Twilio keeps, names the precinct.
        position = svc.store.line.adopt(
            now=svc.clock.now(),
            call_sid=call_sid,
            precinct=precinct,
            number=number,
            hotline_number=hotline_number,
            waited_s=waited_s,
            language=language,
        )
        first = position is not None
    if first:
        enqueue_dispatch(svc)  # now the call can be moved out of the queue
    return position


def back_in_line(svc: Services, caller: Caller, precinct: str, *, how: str) -> bool:
    """A chair already verified on this call goes back in the line, at the place of their
    arrival (`how` says why, for the volunteer's card). False when the call has ended:
    a request that came after it changes nothing.
    """
    record = svc.store.calls.get(caller.call_sid)
    if record is None or record.ended_at is not None:
        return False
    join_line(svc, caller, precinct, how, arrived_at=record.started_at)
    return True
