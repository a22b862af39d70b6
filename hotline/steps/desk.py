"""What volunteers and admins do from the console, as steps: a volunteer pauses or comes
back, finishes a call or flags the caller as a nuisance; an admin puts a parked chair
back in line (the rest of what admins do is in admin.py). The console's routes check who
may, and answer.
"""

from __future__ import annotations

from hotline.jobs import enqueue_dispatch, enqueue_hang_up
from hotline.services import Services
from hotline.store.parked import ParkedChair


def set_paused(svc: Services, volunteer_id: str, paused: bool) -> bool:
    """Pause a free volunteer, or make a paused one available (and give them the next
    chair). False when the volunteer is in neither state.
    """
    if not svc.store.dispatch.set_paused(volunteer_id, paused, now=svc.clock.now()):
        return False
    if not paused:
        enqueue_dispatch(svc)
    return True


def finish_call(svc: Services, volunteer_id: str, call_sid: str) -> None:
    """End the caller's leg and free the volunteer for the next chair."""
    enqueue_hang_up(svc, call_sid)
    svc.store.dispatch.caller_left(volunteer_id, call_sid, now=svc.clock.now())
    enqueue_dispatch(svc)


def precinct_taken(svc: Services, volunteer_id: str, call_sid: str) -> str | None:
    """The precinct of a chair this volunteer talked to on `call_sid`, whether or not the
    call is still up: a chair who hangs up (or whose line drops) before the volunteer
    saves their results must not take the figures typed with them. None for a call the
    volunteer did not take.
    """
    record = svc.store.calls.get(call_sid)
    if record is None or record.volunteer != volunteer_id or record.answered_at is None:
        return None
    return record.precinct


def flag_caller(
    svc: Services, *, volunteer_id: str, call_sid: str, precinct: str, author: str
) -> bool:
    """A volunteer says the caller is a nuisance: their number blocked and flagged, the
    call ended. False when the caller withheld their number (nothing to block).
    """
    record = svc.store.calls.get(call_sid)
    number = record.number if record else None
    if number:
        reason = f"flagged by volunteer {author} ({volunteer_id}) on a call for precinct {precinct}"
        svc.store.blocks.block(number, reason=reason, author=author)
        svc.store.reputation.flag(number, author=author, reason=reason, call_sid=call_sid)
    finish_call(svc, volunteer_id, call_sid)
    return bool(number)


def put_back(svc: Services, call_sid: str, author: str) -> ParkedChair | None:
    """A parked chair back in line, in their place, and dispatch run; None when that
    chair is no longer parked.
    """
    chair = svc.store.parked.put_back(
        call_sid, author=author, reason="put back in line in the console"
    )
    if chair is not None:
        enqueue_dispatch(svc)
    return chair
