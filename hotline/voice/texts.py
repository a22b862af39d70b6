"""Twilio's status callbacks for the texts that tell chairs the hotline's new number
(steps/numbers.py): each text's status (queued, sent, delivered, undelivered, failed, with
Twilio's error code) recorded per chair, one Redis round trip, never moved back.

The URL names the rotation and the precinct; Twilio signs the whole URL (checked for
everything under /voice/), so neither can be forged.
"""

from __future__ import annotations

import re

from flask import Response, abort, request

from hotline import pins
from hotline.voice import twiml
from hotline.voice.common import degrades_to, optional_int, respond, services, voice_blueprint

bp = voice_blueprint("texts")

_ROTATION = re.compile(r"r[0-9]{1,12}")
# Message SIDs are "SM" and 32 hex digits; any short ASCII token passes (the simulator's).
_MESSAGE_SID = re.compile(r"[A-Za-z0-9]{1,64}")


@bp.post("/text-status")
@degrades_to(lambda: respond(twiml.empty()))
def text_status() -> Response:
    rotation = request.args.get("rotation", "")
    precinct = request.args.get("precinct", "")
    status = request.form.get("MessageStatus", "").strip().lower()
    sid = request.form.get("MessageSid", "")
    if not (
        _ROTATION.fullmatch(rotation)
        and pins.is_valid_precinct_code(precinct)
        and status
        and _MESSAGE_SID.fullmatch(sid)
    ):
        abort(400)
    svc = services()
    svc.store.numbers.text_status(
        rotation,
        precinct,
        status,
        now=svc.clock.now(),
        sid=sid,
        error_code=optional_int(request.form.get("ErrorCode")),
    )
    return respond(twiml.empty())
