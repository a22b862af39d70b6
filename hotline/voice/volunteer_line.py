"""The volunteer line and the connection of callers to volunteers.

A volunteer phones the volunteer line from their registered number, keys their PIN
and waits in a conference room of their own (hold music until a caller arrives; the
room closes when they hang up). Their PIN is guarded like a chair's (steps/
verification.py): past its budget they are called back, or asked for their backup
code. Anyone else is treated as any other nuisance caller: counted, and diverted or
blocked. When the dispatcher moves a waiting chair out of Twilio's queue, Twilio
requests the connect URL, which confirms the pairing and puts the chair in the room.
"""

from __future__ import annotations

from flask import Response, abort, request

from hotline import pins
from hotline.steps import arrival, holding, verification
from hotline.steps.verification import Result, room_for
from hotline.store.volunteers import Volunteer
from hotline.triage import Action, Verdict
from hotline.voice import twiml
from hotline.voice.common import (
    ask,
    call_sid,
    caller_number,
    count_check,
    degrades_to,
    goodbye,
    hold_answer,
    int_arg,
    next_step,
    one_step,
    prompt,
    respond,
    retry_this_step,
    room_answer,
    services,
    speech,
    this_caller,
    url,
    voice_blueprint,
)

bp = voice_blueprint("volunteer_line")

START = "/voice/volunteer"


@bp.post("/volunteer")
def volunteer_line() -> Response:
    svc = services()
    sid = call_sid()
    number = caller_number()
    volunteer = svc.store.volunteers.by_phone(number) if number else None
    if volunteer is None:
        return _not_a_volunteer(sid, number)
    svc.store.calls.record_leg(
        now=svc.clock.now(),
        call_sid=sid,
        number=number,
        kind="volunteer",
        verdict="volunteer",
        volunteer_id=volunteer.id,
    )
    return _ask_pin(volunteer, tries=0)


@bp.post("/volunteer-pin")
@degrades_to(retry_this_step)
@one_step(restart=START)
def volunteer_pin() -> Response:
    svc = services()
    volunteer, tries = _volunteer_args()
    digits = request.form.get("Digits", "").strip()
    if not digits:
        return _another_try(volunteer, tries, "no_input")
    outcome = verification.check_volunteer_pin(svc, this_caller(), volunteer, digits, attempt=tries)
    if outcome.result is Result.CALL_BACK:
        return goodbye("volunteer_verify_by_call_back")
    if outcome.result is Result.BACKUP_CODE:
        return _ask_backup(volunteer, tries=tries)
    return _after_check(outcome.result, volunteer, tries, "volunteer_wrong_pin")


@bp.post("/volunteer-backup-code")
@degrades_to(retry_this_step)
@one_step(restart=START)
def volunteer_backup_code() -> Response:
    svc = services()
    volunteer, tries = _volunteer_args()
    code = request.form.get("Digits", "").strip()
    if not code:
        return _another_try(volunteer, tries, "no_input")
    outcome = verification.check_volunteer_backup(
        svc, this_caller(), volunteer, code, attempt=tries
    )
    return _after_check(outcome.result, volunteer, tries, "wrong_backup_code")


@bp.post("/connect")
@degrades_to(lambda: hold_answer(request.args.get("precinct", ""), "back_on_hold"))
def connect() -> Response:
    """The Queue Member update's URL: the chair joins the volunteer's room.

    The URL names its pairing, so a replayed request (an old pairing, or one already
    confirmed) changes nothing: that caller goes back on hold instead.
    """
    svc = services()
    sid = call_sid()
    volunteer_id = request.args.get("volunteer", "")
    pairing_id = request.args.get("pairing", "")
    precinct = request.args.get("precinct", "")
    if not volunteer_id or not pairing_id or not pins.is_valid_precinct_code(precinct):
        abort(400)
    if not svc.store.dispatch.confirm(
        volunteer_id, pairing_id, sid, precinct=precinct, now=svc.clock.now()
    ):
        return hold_answer(precinct, "back_on_hold")
    return room_answer(room_for(volunteer_id), "connecting", chair_of=precinct)


@bp.post("/room-ended")
@degrades_to(lambda: hold_answer(request.args.get("precinct", ""), "back_in_line"))
def room_ended() -> Response:
    """The chair's <Dial> into a volunteer's room has ended with the chair still on the
    line: the volunteer hung up or their phone dropped. 1 puts the chair back in line, at
    the place of their arrival (ahead of everyone who called after them); anything else
    or silence, goodbye. Nothing changes until the chair chooses.
    """
    precinct = request.args.get("precinct", "")
    if not pins.is_valid_precinct_code(precinct):
        abort(400)
    if request.args.get("asked") != "1":
        return respond(
            twiml.ask_key(
                prompt("room_ended"),
                url("/voice/room-ended", precinct=precinct, asked=1),
                services().settings.voice.gather_timeout_s,
                speech(),
            )
        )
    if request.form.get("Digits", "").strip() == "1" and holding.back_in_line(
        services(), this_caller(), precinct, how="volunteer-dropped"
    ):
        return hold_answer(precinct, "back_in_line")
    return goodbye("goodbye_after_room")


def _volunteer_args() -> tuple[Volunteer, int]:
    volunteer = services().store.volunteers.get(request.args.get("volunteer", ""))
    if volunteer is None or caller_number() != volunteer.phone:
        abort(400)
    return volunteer, int_arg("tries")


def _after_check(result: Result, volunteer: Volunteer, tries: int, wrong_prompt: str) -> Response:
    count_check(result, "volunteer")
    if result is Result.VERIFIED:
        return room_answer(room_for(volunteer.id), "volunteer_ready")
    if result is Result.BLOCKED:
        return goodbye("goodbye_pin_failed")
    return _another_try(volunteer, tries, wrong_prompt)


def _another_try(volunteer: Volunteer, tries: int, preface: str) -> Response:
    if tries + 1 >= services().settings.policy.pin_tries_per_call:
        return goodbye("goodbye_pin_failed")
    return _ask_pin(volunteer, tries=tries + 1, preface=prompt(preface))


def _ask_pin(volunteer: Volunteer, *, tries: int, preface: str = "") -> Response:
    return ask(
        prompt("volunteer_ask_pin").format(name=volunteer.name),
        url("/voice/volunteer-pin", volunteer=volunteer.id, tries=tries, step=next_step()),
        preface,
    )


def _ask_backup(volunteer: Volunteer, *, tries: int) -> Response:
    return ask(
        prompt("volunteer_ask_backup_code"),
        url("/voice/volunteer-backup-code", volunteer=volunteer.id, tries=tries, step=next_step()),
    )


def _not_a_volunteer(sid: str, number: str | None) -> Response:
    """Counted and judged like any caller; at best told this line is not for them."""
    judged = arrival.judge(
        services(), call_sid=sid, number=number, request={"to": request.form.get("To", "")}
    )
    if judged is None or judged.verdict.rejects:
        return respond(twiml.reject_busy())
    reasons = ("not a registered volunteer",) + judged.verdict.reasons
    arrival.record(services(), sid, number, Verdict(Action.DIVERT, reasons))
    return respond(twiml.goodbye(prompt("volunteer_line_only"), speech()))
