"""Calls back that prove a chair or a volunteer whose PIN budget is spent.

A worker phones the registered phone (workers/verification_call.py). Answered, the
person hears who is calling and keys their PIN; right, a chair goes on hold in the
line with the place of the call that asked for the call back, a volunteer goes on duty
in their room. Only the phone's holder can be on this call, so no budget applies; each
call back is used by the one call that answered it.
"""

from __future__ import annotations

from flask import Response, abort, request

from hotline.steps import verification
from hotline.steps.verification import Result, room_for
from hotline.store.verifications import Verification
from hotline.voice.common import (
    ask,
    call_sid,
    count_check,
    degrades_to,
    goodbye,
    hold_answer,
    int_arg,
    next_step,
    one_step,
    prompt,
    retry_this_step,
    room_answer,
    services,
    spell,
    url,
    voice_blueprint,
)

bp = voice_blueprint("proof_calls")


@bp.post("/verify-answer")
def verify_answer() -> Response:
    """The call back was answered: ask for the PIN."""
    found = verification.answer_call_back(services(), _verification_id(), call_sid())
    if found is None:
        abort(409, description="this call back is not this call's")
    return _ask_pin(found, tries=0)


@bp.post("/verify-pin")
@degrades_to(retry_this_step)
@one_step()
def verify_pin() -> Response:
    svc = services()
    found = svc.store.verifications.owned_by(_verification_id(), call_sid())
    if found is None:
        abort(409, description="this call back is not this call's")
    tries = int_arg("tries")
    digits = request.form.get("Digits", "").strip()
    outcome = verification.check_call_back_pin(svc, found, call_sid(), digits, attempt=tries)
    count_check(outcome.result, found.kind)
    if outcome.result is Result.VERIFIED:
        if found.kind == "volunteer":
            return room_answer(room_for(found.target), "volunteer_ready")
        return hold_answer(found.target)
    if tries + 1 >= svc.settings.policy.pin_tries_per_call:
        return goodbye("goodbye_pin_failed")
    return _ask_pin(found, tries=tries + 1, preface=prompt("wrong_pin" if digits else "no_input"))


def _verification_id() -> str:
    value = request.args.get("verification", "")
    if not value.isalnum() or len(value) > 64:
        abort(400)
    return value


def _ask_pin(found: Verification, *, tries: int, preface: str = "") -> Response:
    if found.kind == "volunteer":
        volunteer = services().store.volunteers.get(found.target)
        text = prompt("volunteer_call_back_greeting").format(
            name=volunteer.name if volunteer else "volunteer"
        )
    else:
        text = prompt("call_back_greeting").format(precinct=spell(found.target))
    action = url("/voice/verify-pin", verification=found.id, tries=tries, step=next_step())
    return ask(text, action, preface)
