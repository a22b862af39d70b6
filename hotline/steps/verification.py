"""Proving who a caller is: the PIN, and what proves them once the PIN's budget is spent.

The routes parse the keypad and answer TwiML; the budgets and the alarm are pure rules
(triage/pins.py); the bookkeeping is the store's. Chairs and volunteers are proved the
same way, each against their own secret:

1. A PIN check is made only if the PIN defence reserves it (the target's budget and the
   hotline's both have room). A right PIN releases the reservation; a wrong one stays
   counted, and is counted against the calling number too, which blocks it unless it is
   protected (registered to a chair or a volunteer, or allowed by an admin).
2. Past a budget the PIN is not checked at all. The registered phone is called back,
   where the person keys the PIN (a spoofer cannot answer it); when no call back can be
   booked, the PIN's digest is held and the backup code is asked for, and the two are
   checked together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from hotline import pins
from hotline.enforcement import apply_block
from hotline.jobs import enqueue_dispatch
from hotline.services import Services
from hotline.store.pin_guard import Check, Target
from hotline.store.roster import Precinct
from hotline.store.verifications import Verification
from hotline.store.volunteers import Volunteer
from hotline.triage import AlarmLevel, PinAlarm, decide_after_pin_failure, pin_alarm

PIN_ALARM_AUTHOR = "pin-alarm"
VOLUNTEER_ROOM_PREFIX = "volunteer-"


class Result(StrEnum):
    VERIFIED = "verified"
    WRONG = "wrong"  # did not match; the call may try again
    BLOCKED = "blocked"  # did not match, and the calling number is now blocked
    CALL_BACK = "call-back"  # budget spent: the registered phone will be called
    BACKUP_CODE = "backup-code"  # budget spent: the backup code is asked for


@dataclass(frozen=True)
class Outcome:
    result: Result
    # The phone a call back goes to (its last digits are read out).
    phone: str | None = None


@dataclass(frozen=True)
class Caller:
    """The call a secret was keyed on."""

    call_sid: str
    number: str | None  # None when the caller ID is withheld
    dialled: str | None  # the hotline number it called: the caller ID of a call back
    # The language it is spoken to in, None for the hotline's first: a call back or a
    # text to this caller is in it too.
    language: str | None = None


@dataclass(frozen=True)
class Secret:
    """Whose secret is keyed, and how theirs is checked."""

    target: Target
    pin_digest: Callable[[str], str]
    stored_pin: str | None
    backup_digest: Callable[[str], str]
    stored_backup: str | None
    phone: str | None  # the registered phone, if any


def room_for(volunteer_id: str) -> str:
    """The conference room a volunteer waits in for callers."""
    return f"{VOLUNTEER_ROOM_PREFIX}{volunteer_id}"


def chair_secret(svc: Services, precinct: Precinct) -> Secret:
    key = _pin_key(svc)
    return Secret(
        target=Target("precinct", precinct.code),
        pin_digest=lambda pin: pins.pin_digest(key, precinct.code, pin),
        stored_pin=precinct.pin_digest,
        backup_digest=lambda code: pins.backup_digest(key, precinct.code, code),
        stored_backup=precinct.backup_digest,
        phone=precinct.chair_phone,
    )


def volunteer_secret(svc: Services, volunteer: Volunteer) -> Secret:
    key = _pin_key(svc)
    return Secret(
        target=Target("volunteer", volunteer.id),
        pin_digest=lambda pin: pins.volunteer_pin_digest(key, volunteer.id, pin),
        stored_pin=volunteer.pin_digest,
        backup_digest=lambda code: pins.volunteer_backup_digest(key, volunteer.id, code),
        stored_backup=volunteer.backup_digest,
        phone=volunteer.phone,
    )


# Chairs


def check_chair_pin(
    svc: Services,
    caller: Caller,
    precinct: Precinct,
    digits: str,
    *,
    attempt: int,
    how: str,
    strict: bool = False,
) -> Outcome:
    """A chair keyed a PIN; verified, they join the line. `strict` (flood mode, for a
    caller not on a registered chair phone): the PIN alone is never enough.
    """
    secret = chair_secret(svc, precinct)
    if strict:
        return _second_factor(svc, caller, secret, digits)
    outcome = _check_pin(svc, caller, secret, digits, attempt)
    if outcome.result is Result.VERIFIED:
        join_line(svc, caller, precinct.code, how)
    return outcome


def check_chair_backup(
    svc: Services, caller: Caller, precinct: Precinct, code: str, *, attempt: int
) -> Outcome:
    """A chair keyed the backup code after the PIN; verified, they join the line."""
    outcome = _check_backup(svc, caller, chair_secret(svc, precinct), code, attempt)
    if outcome.result is Result.VERIFIED:
        join_line(svc, caller, precinct.code, "backup-code")
    return outcome


def join_line(
    svc: Services, caller: Caller, precinct: str, how: str, arrived_at: float | None = None
) -> None:
    """The verified chair into the priority line (`how` they proved it, for the volunteer's
    card), at `arrived_at` when they were in it before on this call. Dispatch waits for the
    wait URL: Twilio queues the call only after "verified".
    """
    svc.store.line.join(
        now=svc.clock.now(),
        precinct=precinct,
        call_sid=caller.call_sid,
        number=caller.number,
        verified_how=how,
        hotline_number=caller.dialled,
        arrived_at=arrived_at,
        language=caller.language,
    )


# Volunteers


def check_volunteer_pin(
    svc: Services, caller: Caller, volunteer: Volunteer, digits: str, *, attempt: int
) -> Outcome:
    """A volunteer keyed their PIN; verified, they are on duty in their room."""
    outcome = _check_pin(svc, caller, volunteer_secret(svc, volunteer), digits, attempt)
    if outcome.result is Result.VERIFIED:
        _on_duty(svc, caller, volunteer.id)
    return outcome


def check_volunteer_backup(
    svc: Services, caller: Caller, volunteer: Volunteer, code: str, *, attempt: int
) -> Outcome:
    outcome = _check_backup(svc, caller, volunteer_secret(svc, volunteer), code, attempt)
    if outcome.result is Result.VERIFIED:
        _on_duty(svc, caller, volunteer.id)
    return outcome


def _on_duty(svc: Services, caller: Caller, volunteer_id: str) -> None:
    svc.store.dispatch.volunteer_ready(
        volunteer_id, call_sid=caller.call_sid, room=room_for(volunteer_id), now=svc.clock.now()
    )
    enqueue_dispatch(svc)


# Calls back


def answer_call_back(svc: Services, verification_id: str, call_sid: str) -> Verification | None:
    """The call back `call_sid` was answered; None if the verification is not its own (used
    by another call, expired, or never booked).
    """
    verification = svc.store.verifications.claim(verification_id, call_sid)
    if verification is not None:
        volunteer = verification.kind == "volunteer"
        svc.store.calls.record_leg(
            now=svc.clock.now(),
            call_sid=call_sid,
            number=verification.phone,
            kind="volunteer" if volunteer else "caller",
            verdict="call-back",
            volunteer_id=verification.target if volunteer else None,
        )
    return verification


def check_call_back_pin(
    svc: Services, verification: Verification, call_sid: str, digits: str, *, attempt: int
) -> Outcome:
    """The PIN keyed on a call back. Only the registered phone's holder is on this call,
    so no budget applies; a chair keeps the place of the call that asked for it.
    """
    store = svc.store
    caller = Caller(
        call_sid=call_sid,
        number=verification.phone,
        dialled=verification.from_number,
        language=verification.language,
    )
    if verification.kind == "volunteer":
        volunteer = store.volunteers.get(verification.target)
        secret = volunteer_secret(svc, volunteer) if volunteer else None
    else:
        precinct = store.roster.get(verification.target)
        secret = chair_secret(svc, precinct) if precinct else None
    if secret is None or not _pin_matches(secret, digits):
        return _failed(svc, caller, f"{call_sid}:{attempt}")
    store.verifications.done(verification.id)
    if verification.kind == "volunteer":
        _on_duty(svc, caller, verification.target)
    else:
        join_line(svc, caller, verification.target, "call-back", arrived_at=verification.arrived_at)
    return Outcome(Result.VERIFIED)


# The alarm


def current_alarm(svc: Services) -> PinAlarm:
    in_alarm_window, _ = svc.store.pin_guard.failures(now=svc.clock.now())
    return pin_alarm(in_alarm_window, svc.settings.policy.pin_defence)


def alarm_notice(svc: Services) -> str | None:
    """The PIN alarm in words for the admins (console banner, `hotline calls`), or None
    while it is quiet.
    """
    alarm = current_alarm(svc)
    if not alarm.raised:
        return None
    defence = svc.settings.policy.pin_defence
    notice = (
        f"PIN alarm: {alarm.failures} failed PINs across the hotline in the last "
        f"{int(alarm.window_s // 60)} minutes (alarm at {defence.alarm_failures}, "
        f"flood mode at {defence.flood_failures})."
    )
    if svc.store.reputation.flood_switched_by() == PIN_ALARM_AUTHOR:
        notice += " Flood mode was switched on by the alarm; switch it off when it is over."
    return notice


# Inside


def _check_pin(svc: Services, caller: Caller, secret: Secret, digits: str, attempt: int) -> Outcome:
    attempt_id = f"{caller.call_sid}:{attempt}"
    check = svc.store.pin_guard.reserve(secret.target, now=svc.clock.now(), attempt_id=attempt_id)
    _mind_alarm(svc, check)
    if not check.reserved:
        return _second_factor(svc, caller, secret, digits)
    if _pin_matches(secret, digits):
        svc.store.pin_guard.release(check)
        return Outcome(Result.VERIFIED)
    return _failed(svc, caller, attempt_id)


def _check_backup(
    svc: Services, caller: Caller, secret: Secret, code: str, attempt: int
) -> Outcome:
    held = svc.store.pin_guard.take_held_pin(caller.call_sid)
    # Both compared every time, so the time taken does not tell which one was wrong.
    pin_right = pins.digests_match(held, secret.stored_pin)
    code_right = pins.is_valid_backup_code(code) and pins.digests_match(
        secret.backup_digest(code), secret.stored_backup
    )
    if pin_right and code_right:
        return Outcome(Result.VERIFIED)
    return _failed(svc, caller, f"{caller.call_sid}:{attempt}")


def _pin_matches(secret: Secret, digits: str) -> bool:
    return pins.is_valid_pin(digits) and pins.digests_match(
        secret.pin_digest(digits), secret.stored_pin
    )


def _second_factor(svc: Services, caller: Caller, secret: Secret, digits: str) -> Outcome:
    """The budget is spent: the PIN keyed is not checked. A call back if one can be booked,
    else the backup code (the PIN's digest is held to be checked with it).
    """
    store, now = svc.store, svc.clock.now()
    if secret.phone and caller.dialled:
        record = store.calls.get(caller.call_sid)
        arrived_at = record.started_at if record and record.started_at else now
        verification = store.verifications.book(
            now=now,
            kind=secret.target.kind,
            target=secret.target.id,
            phone=secret.phone,
            from_number=caller.dialled,
            arrived_at=arrived_at,
            language=caller.language,
        )
        if verification is not None:
            # Placed when this call ends: the phone to ring may be the one on this call.
            store.calls.book_call_back(caller.call_sid, verification.id)
            return Outcome(Result.CALL_BACK, phone=secret.phone)
    if pins.is_valid_pin(digits):
        store.pin_guard.hold_pin(caller.call_sid, secret.pin_digest(digits))
    return Outcome(Result.BACKUP_CODE)


def _failed(svc: Services, caller: Caller, attempt_id: str) -> Outcome:
    store, policy = svc.store, svc.settings.policy
    failure = store.pin_guard.count_failure(
        now=svc.clock.now(), call_sid=caller.call_sid, number=caller.number, attempt_id=attempt_id
    )
    block = decide_after_pin_failure(
        failure.caller_failures, failure.temp_blocks, policy, protected=failure.protected
    )
    if block is not None:
        store.calls.record_verdict(caller.call_sid, block)
        apply_block(store, caller.number, block)
        if block.enforced:
            return Outcome(Result.BLOCKED)
    return Outcome(Result.WRONG)


def _mind_alarm(svc: Services, check: Check) -> None:
    """The check that raises the alarm puts it on the audit trail, for the night's report.
    Past the flood rate of failed PINs, flood mode goes on by itself (never in log-only
    mode, which enforces nothing), audited with the count that tripped it.
    """
    policy = svc.settings.policy
    alarm = pin_alarm(check.alarm_failures, policy.pin_defence)
    # Each reservation adds one failure, so exactly one check sees the count reach the alarm.
    if check.reserved and check.alarm_failures == policy.pin_defence.alarm_failures:
        reason = (
            f"{alarm.failures} failed PINs across the hotline in the last "
            f"{int(alarm.window_s // 60)} minutes (alarm at {policy.pin_defence.alarm_failures})"
        )
        svc.store.pin_guard.record_alarm(
            now=svc.clock.now(), author=PIN_ALARM_AUTHOR, reason=reason, failures=alarm.failures
        )
    if alarm.level is AlarmLevel.FLOOD and not check.flood_on and not policy.log_only:
        reason = (
            f"{alarm.failures} failed PINs across the hotline in the last "
            f"{int(alarm.window_s // 60)} minutes (flood mode at "
            f"{policy.pin_defence.flood_failures})"
        )
        svc.store.reputation.set_flood(True, author=PIN_ALARM_AUTHOR, reason=reason)


def _pin_key(svc: Services) -> bytes:
    return svc.settings.pin_key()
