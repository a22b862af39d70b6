"""The volunteer line and the connection of callers to volunteers.

A volunteer phones the volunteer line from their registered number, keys
their PIN and waits in a conference room of their own (hold music until a
caller arrives; the room closes when they hang up). Anyone else is treated
as any other nuisance caller: counted, and diverted or blocked. When the
dispatcher moves a waiting chair out of Twilio's queue, Twilio requests the
connect URL, which confirms the pairing and puts the chair in the room.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from hotline import pins
from hotline.enforcement import apply_block
from hotline.triage import Action, Verdict, decide
from hotline.voice import twiml
from hotline.voice.common import (
    call_sid,
    caller_number,
    guard_webhooks,
    int_arg,
    prompt,
    respond,
    services,
    speech,
    url,
)
from workers.dispatch import enqueue_dispatch

bp = Blueprint("volunteer_line", __name__, url_prefix="/voice")
guard_webhooks(bp)

ROOM_PREFIX = "volunteer-"


def room_for(volunteer_id: str) -> str:
    return f"{ROOM_PREFIX}{volunteer_id}"


@bp.post("/volunteer")
def volunteer_line() -> Response:
    svc = services()
    sid = call_sid()
    number = caller_number()
    volunteer = svc.store.volunteers.by_phone(number) if number else None
    if volunteer is None:
        return _not_a_volunteer(sid, number)
    svc.store.calls.record_volunteer_leg(now=svc.clock.now(), call_sid=sid, number=number,
                                         volunteer_id=volunteer.id)  # fmt: skip
    return _ask_pin(volunteer.id, volunteer.name, tries=0)


@bp.post("/volunteer-pin")
def volunteer_pin() -> Response:
    svc = services()
    sid = call_sid()
    volunteer = svc.store.volunteers.get(request.args.get("volunteer", ""))
    if volunteer is None or caller_number() != volunteer.phone:
        abort(400)
    tries = int_arg("tries")
    digits = request.form.get("Digits", "").strip()
    key = svc.settings.pin_key()
    if pins.is_valid_pin(digits) and pins.volunteer_pin_matches(key, volunteer.id, digits,
                                                                volunteer.pin_digest):  # fmt: skip
        room = room_for(volunteer.id)
        svc.store.dispatch.volunteer_ready(volunteer.id, call_sid=sid, room=room,
                                           now=svc.clock.now())  # fmt: skip
        enqueue_dispatch(svc)
        return respond(twiml.conference_room(prompt("volunteer_ready"), room, end_on_exit=True,
                                             speech=speech()))  # fmt: skip
    if tries + 1 >= svc.settings.policy.pin_tries_per_call:
        return respond(twiml.goodbye(prompt("goodbye_pin_failed"), speech()))
    return _ask_pin(volunteer.id, volunteer.name, tries=tries + 1,
                    preface=prompt("volunteer_wrong_pin") if digits else prompt("no_input"))


@bp.post("/connect")
def connect() -> Response:
    """The Queue Member update's URL: the chair joins the volunteer's room."""
    svc = services()
    sid = call_sid()
    volunteer_id = request.args.get("volunteer", "")
    precinct = request.args.get("precinct", "")
    if not volunteer_id or not pins.is_valid_precinct_code(precinct):
        abort(400)
    svc.store.dispatch.confirm(volunteer_id, precinct, sid, now=svc.clock.now())
    return respond(twiml.conference_room(prompt("connecting"), room_for(volunteer_id),
                                         end_on_exit=False, speech=speech()))  # fmt: skip


def _ask_pin(volunteer_id: str, name: str, *, tries: int, preface: str = "") -> Response:
    settings = services().settings
    return respond(twiml.ask_digits(
        prompt("volunteer_ask_pin").format(name=name),
        url("/voice/volunteer-pin", volunteer=volunteer_id, tries=tries),
        settings.voice.gather_timeout_s, speech(), preface,
    ))  # fmt: skip


def _not_a_volunteer(sid: str, number: str | None) -> Response:
    """Counted and judged like any caller; at best told this line is not for them."""
    svc = services()
    arrival = svc.store.calls.arrive(now=svc.clock.now(), call_sid=sid, number=number,
                                     request={"to": request.form.get("To", "")})  # fmt: skip
    if arrival.block is not None:
        return respond(twiml.reject_busy())
    verdict = decide(arrival.facts, svc.settings.policy)
    if verdict.rejects:
        svc.store.calls.record_verdict(sid, verdict)
        apply_block(svc.store, number, verdict)
        return respond(twiml.reject_busy())
    svc.store.calls.record_verdict(
        sid, Verdict(Action.DIVERT, ("not a registered volunteer",) + verdict.reasons))
    return respond(twiml.goodbye(prompt("volunteer_line_only"), speech()))
