"""Calls back to chairs who asked for one while waiting.

The dispatcher phones the chair when their turn comes, with a volunteer
already set aside. Answered, the chair hears who is calling and presses a key
to be put through (the connect webhook). Not answered, or no key pressed,
the chair goes back to their place for another try; after the last try they
get a text message saying what to do.
"""

from __future__ import annotations

from flask import Response, abort, request

from hotline import pins
from hotline.jobs import enqueue_dispatch, enqueue_sms
from hotline.voice import twiml
from hotline.voice.common import (
    call_sid,
    prompt,
    respond,
    services,
    speech,
    spell,
    voice_blueprint,
)
from hotline.voice.common import url as webhook_url

bp = voice_blueprint("callbacks")

ANSWER_TIMEOUT_S = 8
FAILED = frozenset({"no-answer", "busy", "failed", "canceled", "completed"})


@bp.post("/callback-answer")
def callback_answer() -> Response:
    call_sid()
    volunteer, precinct, pairing = _pairing_args()
    connect = webhook_url("/voice/connect", volunteer=volunteer, precinct=precinct, pairing=pairing)
    return respond(
        twiml.press_any_key(
            prompt("callback_greeting").format(precinct=spell(precinct)),
            connect,
            ANSWER_TIMEOUT_S,
            speech(),
        )
    )


@bp.post("/callback-status")
def callback_status() -> Response:
    """Status callback of a call back: the end of it, whichever way it went."""
    svc = services()
    sid = call_sid()
    volunteer, precinct, pairing = _pairing_args()
    if request.form.get("CallStatus", "") not in FAILED:
        return respond(twiml.empty())
    now = svc.clock.now()
    entry = svc.store.dispatch.callback_failed(
        volunteer, pairing, max_attempts=svc.settings.callback_attempts
    )
    if entry is None:
        # The chair was put through and the call has now ended: the volunteer is free.
        if svc.store.dispatch.caller_left(volunteer, sid, now=now):
            enqueue_dispatch(svc)
        return respond(twiml.empty())
    enqueue_dispatch(svc)
    if entry.get("gave_up") and entry.get("number") and entry.get("to"):
        body = prompt("callback_sms").format(precinct=precinct, hotline=entry["to"])
        enqueue_sms(svc, entry["number"], entry["to"], body)
    return respond(twiml.empty())


def _pairing_args() -> tuple[str, str, str]:
    """The volunteer, precinct and pairing id a call back's URL names."""
    volunteer = request.args.get("volunteer", "")
    precinct = request.args.get("precinct", "")
    pairing = request.args.get("pairing", "")
    if not volunteer or not pairing or not pins.is_valid_precinct_code(precinct):
        abort(400)
    return volunteer, precinct, pairing
