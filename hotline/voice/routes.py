"""The voice webhooks Twilio calls: inbound calls, keypad answers, hold, status.

Each handler reads the form Twilio posted, makes one or two Redis round trips
through the store, and answers TwiML. Nothing here calls Twilio or waits on
anything slow: bookkeeping that can wait is an RQ job. State that belongs to
one call (which precinct it claimed, how many tries are left) travels in the
query string of the next URL: Twilio signs the whole URL, so it cannot be
forged.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from hotline import pins
from hotline.enforcement import apply_block
from hotline.triage import Action, decide, decide_after_pin_failure
from hotline.voice import twiml
from hotline.voice.common import (
    call_sid,
    caller_number,
    guard_webhooks,
    int_arg,
    optional_int,
    prompt,
    respond,
    services,
    speech,
    spell,
    url,
)
from workers.call_end import process_call_end
from workers.dispatch import enqueue_dispatch

bp = Blueprint("voice", __name__, url_prefix="/voice")

TERMINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
guard_webhooks(bp)


@bp.post("/incoming")
def incoming() -> Response:
    svc = services()
    settings = svc.settings
    sid = call_sid()
    number = caller_number()
    arrival = svc.store.calls.arrive(
        now=svc.clock.now(),
        call_sid=sid,
        number=number,
        request={
            "to": request.form.get("To", ""),
            "stir_verstat": request.form.get("StirVerstat", ""),
            "from_state": request.form.get("FromState", ""),
            "from_country": request.form.get("FromCountry", ""),
        },
    )
    if arrival.block is not None:
        return respond(twiml.reject_busy())

    verdict = decide(arrival.facts, settings.policy)
    action = verdict.effective_action
    if not verdict.enforced or action not in (Action.CHALLENGE, Action.FAST_TRACK):
        # Off the common path: record the verdict now (the call-end job records
        # the common ones, keeping a challenge to one round trip).
        svc.store.calls.record_verdict(sid, verdict)
        apply_block(svc.store, number, verdict)

    if action is Action.DIVERT:
        return respond(twiml.goodbye(prompt(verdict.divert_message.value), speech()))
    if action in (Action.TEMP_BLOCK, Action.BLOCK):
        return respond(twiml.reject_busy())
    if action is Action.FAST_TRACK:
        return _ask_pin(verdict.chair_precinct, how="registered-phone", tries=0, reprompts=0)
    return _ask_precinct(reprompts=0)


@bp.post("/precinct")
def precinct_entered() -> Response:
    call_sid()
    reprompts = int_arg("reprompts")
    code = request.form.get("Digits", "").strip()
    if not pins.is_valid_precinct_code(code):
        return _reprompt_or_end(reprompts, lambda n: _ask_precinct(n, preface="no_input"))
    if services().store.roster.get(code) is None:
        preface = prompt("unknown_precinct").format(precinct=spell(code))
        return _reprompt_or_end(reprompts, lambda n: _ask_precinct(n, preface_text=preface))
    return _ask_pin(code, how="keyed-precinct", tries=0, reprompts=0)


@bp.post("/pin")
def pin_entered() -> Response:
    svc = services()
    settings = svc.settings
    sid = call_sid()
    precinct = request.args.get("precinct", "")
    if not pins.is_valid_precinct_code(precinct):
        abort(400)
    how = request.args.get("how", "keyed-precinct")
    tries = int_arg("tries")
    reprompts = int_arg("reprompts")
    digits = request.form.get("Digits", "").strip()

    if not digits:
        return _reprompt_or_end(
            reprompts, lambda n: _ask_pin(precinct, how=how, tries=tries, reprompts=n,
                                          preface="no_input")  # fmt: skip
        )

    record = svc.store.roster.get(precinct)
    secret = settings.pin_key()
    number = caller_number()
    if (
        record is not None
        and pins.is_valid_pin(digits)
        and pins.pin_matches(secret, precinct, digits, record.pin_digest)
    ):
        svc.store.line.join(
            now=svc.clock.now(), precinct=precinct, call_sid=sid, number=number,
            verified_how=how, hotline_number=request.form.get("To") or None,
        )  # fmt: skip
        # Dispatch waits for the wait URL: Twilio queues the call only after "verified".
        return _hold(precinct)

    tries += 1
    failures, temp_blocks = svc.store.calls.pin_failed(
        now=svc.clock.now(), call_sid=sid, number=number, precinct=precinct, attempt=tries
    )
    block = decide_after_pin_failure(
        failures, temp_blocks, settings.policy, chair_number=how == "registered-phone"
    )
    if block is not None:
        svc.store.calls.record_verdict(sid, block)
        apply_block(svc.store, number, block)
        if block.enforced:
            return respond(twiml.goodbye(prompt("goodbye_pin_failed"), speech()))
    if tries >= settings.policy.pin_tries_per_call:
        return respond(twiml.goodbye(prompt("goodbye_pin_failed"), speech()))
    return _ask_pin(precinct, how=how, tries=tries, reprompts=reprompts, preface="wrong_pin")


@bp.post("/wait")
def wait() -> Response:
    """Twilio's waitUrl for the chairs' queue: runs again each time it finishes."""
    svc = services()
    sid = call_sid()
    settings = svc.settings
    precinct = request.args.get("precinct", "")
    position, first = svc.store.line.holding(precinct, sid) if precinct else (None, False)
    if first:
        enqueue_dispatch(svc)  # now the call can be moved out of the queue
    if position is None:
        return respond(twiml.waiting("", settings.voice.hold_music_url,
                                     settings.voice.hold_pause_s, speech()))  # fmt: skip
    place = prompt("position_first") if position == 1 else prompt("position").format(
        position=position)  # fmt: skip
    return respond(twiml.waiting(
        f"{place} {prompt('offer_callback')}", settings.voice.hold_music_url,
        settings.voice.hold_pause_s, speech(), url("/voice/hold-key", precinct=precinct),
    ))  # fmt: skip


@bp.post("/hold-key")
def hold_key() -> Response:
    """A key pressed on hold: 1 books a call back that keeps the chair's place."""
    svc = services()
    sid = call_sid()
    precinct = request.args.get("precinct", "")
    if not pins.is_valid_precinct_code(precinct):
        abort(400)
    back_to_hold = url("/voice/wait", precinct=precinct)
    if request.form.get("Digits", "") != "1":
        return respond(twiml.redirect(back_to_hold))
    number = caller_number()
    if not number or not svc.store.line.request_callback(precinct, sid, now=svc.clock.now()):
        return respond(twiml.say_then_redirect(prompt("callback_no_number"), back_to_hold,
                                               speech()))  # fmt: skip
    return respond(twiml.goodbye(prompt("callback_booked").format(last_digits=spell(number[-4:])),
                                 speech()))  # fmt: skip


@bp.post("/queue-exit")
def queue_exit() -> Response:
    """Enqueue's action: the caller left the queue. Only errors need words."""
    call_sid()
    result = request.form.get("QueueResult", "")
    if result in ("error", "system-error", "queue-full", "redirect-failed"):
        return respond(twiml.goodbye(prompt("trouble"), speech()))
    return respond(twiml.hang_up())


@bp.post("/status")
def status() -> Response:
    """Status callback: idempotent, order-tolerant, the end of a call recorded once."""
    svc = services()
    sid = call_sid()
    call_status = request.form.get("CallStatus", "").strip().lower()
    if not call_status:
        abort(400)
    sequence = optional_int(request.form.get("SequenceNumber"))
    duration = optional_int(request.form.get("CallDuration"))
    record = svc.store.calls.get(sid)
    if record is None:
        return respond(twiml.empty())  # not a call this hotline answered
    terminal = call_status in TERMINAL_STATUSES
    ended = svc.store.calls.end(
        now=svc.clock.now(),
        call_sid=sid,
        status=call_status,
        sequence=sequence,
        duration_s=duration,
        terminal=terminal,
        precinct=record.precinct,
        keep_place_s=svc.settings.keep_place_for_s,
    )
    if ended.applied and terminal:
        _after_call_end(svc, sid, record)
    return respond(twiml.empty())


def _after_call_end(svc, sid: str, record) -> None:
    now = svc.clock.now()
    if record.kind == "volunteer" and record.volunteer:
        svc.store.dispatch.volunteer_left(record.volunteer, now=now)
        return
    if record.volunteer and svc.store.dispatch.caller_left(record.volunteer, sid, now=now):
        enqueue_dispatch(svc)  # the volunteer is free for the next chair
    # Only calls that took the common path leave bookkeeping for the job: a
    # rejected or diverted call's verdict is already recorded, and it cannot be
    # an instant hang-up. During a flood that is most calls, and most jobs saved.
    if record.verdict is None:
        svc.queue.enqueue(process_call_end, sid, job_timeout=60)
    return respond(twiml.empty())


# Helpers: the parts of each answer that every handler shares.


def _ask_precinct(reprompts: int, preface: str = "", preface_text: str = "") -> Response:
    settings = services().settings
    return respond(
        twiml.ask_digits(
            prompt("ask_precinct"),
            url("/voice/precinct", reprompts=reprompts),
            settings.voice.gather_timeout_s,
            speech(),
            preface_text or (prompt(preface) if preface else ""),
        )
    )


def _ask_pin(precinct: str, *, how: str, tries: int, reprompts: int, preface: str = "") -> Response:
    settings = services().settings
    text = (
        prompt("ask_pin_known_chair").format(precinct=spell(precinct))
        if how == "registered-phone" and tries == 0 and reprompts == 0
        else prompt("ask_pin")
    )
    return respond(
        twiml.ask_digits(
            text,
            url("/voice/pin", precinct=precinct, how=how, tries=tries, reprompts=reprompts),
            settings.voice.gather_timeout_s,
            speech(),
            prompt(preface) if preface else "",
        )
    )


def _hold(precinct: str) -> Response:
    settings = services().settings
    return respond(
        twiml.hold_in_line(
            prompt("verified").format(precinct=spell(precinct)),
            settings.queue_name,
            url("/voice/wait", precinct=precinct),
            url("/voice/queue-exit"),
            speech(),
        )
    )


def _reprompt_or_end(reprompts: int, ask_again) -> Response:
    if reprompts >= services().settings.voice.reprompts:
        return respond(twiml.goodbye(prompt("goodbye_no_input"), speech()))
    return ask_again(reprompts + 1)
