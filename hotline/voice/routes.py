"""The voice webhooks Twilio calls for the chairs' line: inbound calls, keypad answers,
hold, status.

Each handler reads the form Twilio posted, makes one or two Redis round trips
through the store (a few more on the rare paths), and answers TwiML. Nothing here
calls Twilio or waits on anything slow: bookkeeping that can wait is an RQ job.
State that belongs to one call (which precinct it claimed, how many tries are left,
which step it is at) travels in the query string of the next URL: Twilio signs the
whole URL, so it cannot be forged, and each step is applied once (common.one_step).
"""

from __future__ import annotations

from flask import Response, abort, request

from hotline import pins
from hotline.steps import arrival, call_end, holding, verification
from hotline.steps.verification import Result
from hotline.triage import Action
from hotline.voice import twiml
from hotline.voice.common import (
    ask,
    call_language,
    call_sid,
    caller_number,
    count_check,
    degrades_to,
    goodbye,
    int_arg,
    keep_holding,
    next_step,
    one_step,
    optional_int,
    other_language,
    prompt,
    reject_busy,
    respond,
    retry_this_step,
    sequence_number,
    services,
    speak_in,
    speech,
    spell,
    this_caller,
    url,
    voice_blueprint,
    web_metrics,
)
from hotline.voice.keypad_report import report_choice

bp = voice_blueprint("voice")

# A call that Redis forgot starts again here.
START = "/voice/incoming"


@bp.post("/incoming")
@degrades_to(reject_busy)
def incoming() -> Response:
    settings = services().settings
    form = request.form
    judged = arrival.judge(
        services(),
        call_sid=call_sid(),
        number=caller_number(),
        request={
            "to": form.get("To", ""),
            "stir_verstat": form.get("StirVerstat", ""),
            "from_state": form.get("FromState", ""),
            "from_country": form.get("FromCountry", ""),
        },
    )
    web_metrics().count_call(judged.verdict if judged else None)
    if judged is None:  # a block in force
        return respond(twiml.reject_busy())
    verdict = judged.verdict
    action = verdict.effective_action
    if action is Action.DIVERT:
        return respond(twiml.goodbye(prompt(verdict.divert_message.value), speech()))
    if action in (Action.TEMP_BLOCK, Action.BLOCK):
        return respond(twiml.reject_busy())
    if action is Action.FAST_TRACK:
        if judged.chair_language:
            speak_in(judged.chair_language)  # the precinct's own language, from the start
        return _ask_pin(verdict.chair_precinct, how="registered-phone", tries=0, reprompts=0)
    if verdict.strict and verdict.enforced:
        # Flood mode, or a retired number: one short chance, no second prompt for a caller
        # who keys nothing.
        return _ask_precinct(
            reprompts=settings.voice.reprompts,
            strict=True,
            question=verdict.challenge_message.value,
        )
    return _ask_precinct(reprompts=0)


@bp.post("/precinct")
@degrades_to(retry_this_step)
@one_step(restart=START)
def precinct_entered() -> Response:
    reprompts, strict = int_arg("reprompts"), _strict()
    code = request.form.get("Digits", "").strip()
    if _switching_language(code):
        return _ask_precinct(reprompts, strict=strict)
    if not pins.is_valid_precinct_code(code):
        return _reprompt_or_end(
            reprompts, lambda n: _ask_precinct(n, preface="no_input", strict=strict)
        )
    if services().store.roster.get(code) is None:
        preface = prompt("unknown_precinct").format(precinct=spell(code))
        return _reprompt_or_end(
            reprompts, lambda n: _ask_precinct(n, preface_text=preface, strict=strict)
        )
    return _ask_pin(code, how="keyed-precinct", tries=0, reprompts=0, strict=strict)


@bp.post("/pin")
@degrades_to(retry_this_step)
@one_step(restart=START)
def pin_entered() -> Response:
    svc = services()
    precinct, how, tries, reprompts = _pin_args()
    strict = _strict()
    digits = request.form.get("Digits", "").strip()
    if _switching_language(digits):
        return _ask_pin(precinct, how=how, tries=tries, reprompts=reprompts, strict=strict)
    if not digits:
        return _reprompt_or_end(
            reprompts,
            lambda n: _ask_pin(
                precinct, how=how, tries=tries, reprompts=n, preface="no_input", strict=strict
            ),
        )
    record = svc.store.roster.get(precinct)
    if record is None:  # the roster changed under the call: ask again
        preface = prompt("unknown_precinct").format(precinct=spell(precinct))
        return _ask_precinct(0, preface_text=preface, strict=strict)
    outcome = verification.check_chair_pin(
        svc, this_caller(), record, digits, attempt=tries, how=how, strict=strict
    )
    if outcome.result is Result.CALL_BACK:
        return goodbye(
            "verify_by_call_back", precinct=spell(precinct), last_digits=spell(outcome.phone[-4:])
        )
    if outcome.result is Result.BACKUP_CODE:
        return _ask_backup(precinct, how=how, tries=tries, reprompts=0, strict=strict)
    return _after_check(outcome.result, precinct, how, tries, "wrong_pin", strict)


@bp.post("/backup-code")
@degrades_to(retry_this_step)
@one_step(restart=START)
def backup_code_entered() -> Response:
    """The backup code, asked for once the precinct's PIN budget is spent; the PIN keyed
    just before is checked with it.
    """
    svc = services()
    precinct, how, tries, reprompts = _pin_args()
    strict = _strict()
    code = request.form.get("Digits", "").strip()
    if not code:
        return _reprompt_or_end(
            reprompts,
            lambda n: _ask_backup(
                precinct, how=how, tries=tries, reprompts=n, preface="no_input", strict=strict
            ),
        )
    record = svc.store.roster.get(precinct)
    if record is None:
        abort(400)
    outcome = verification.check_chair_backup(svc, this_caller(), record, code, attempt=tries)
    return _after_check(outcome.result, precinct, how, tries, "wrong_backup_code", strict)


@bp.post("/wait")
@degrades_to(keep_holding)
def wait() -> Response:
    """Twilio's waitUrl for the chairs' queue: runs again each time it finishes."""
    settings = services().settings
    precinct = request.args.get("precinct", "")
    if not pins.is_valid_precinct_code(precinct):
        precinct = ""
    position = holding.place_in_line(
        services(),
        call_sid=call_sid(),
        precinct=precinct,
        number=caller_number(),
        hotline_number=request.form.get("To") or None,
        waited_s=optional_int(request.form.get("QueueTime")) or 0,
        language=call_language(),
    )
    if position is None or not precinct:
        return respond(
            twiml.waiting("", settings.voice.hold_music_url, settings.voice.hold_pause_s, speech())
        )
    place = (
        prompt("position_first") if position == 1 else prompt("position").format(position=position)
    )
    return respond(
        twiml.waiting(
            f"{place} {prompt('offer_callback')}",
            settings.voice.hold_music_url,
            settings.voice.hold_pause_s,
            speech(),
            url("/voice/hold-key", precinct=precinct),
        )
    )


@bp.post("/hold-key")
@degrades_to(lambda: respond(twiml.redirect(url("/voice/wait", **request.args))))
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
    if not number or not svc.store.line.request_callback(sid, now=svc.clock.now()):
        return respond(
            twiml.say_then_redirect(prompt("callback_no_number"), back_to_hold, speech())
        )
    return goodbye("callback_booked", last_digits=spell(number[-4:]))


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
    call_status = request.form.get("CallStatus", "").strip().lower()
    if not call_status:
        abort(400)
    call_end.status_changed(
        services(),
        call_sid=call_sid(),
        status=call_status,
        sequence=sequence_number(request.form.get("SequenceNumber")),
        duration_s=optional_int(request.form.get("CallDuration")),
    )
    return respond(twiml.empty())


# Helpers: the parts of each answer that every handler shares.


def _pin_args() -> tuple[str, str, int, int]:
    precinct = request.args.get("precinct", "")
    if not pins.is_valid_precinct_code(precinct):
        abort(400)
    return (
        precinct,
        request.args.get("how", "keyed-precinct"),
        int_arg("tries"),
        int_arg("reprompts"),
    )


def _strict() -> bool:
    """The call came in flood mode (its URL says so, and Twilio signed the URL)."""
    return request.args.get("strict") == "1"


def _strict_arg(strict: bool) -> dict[str, str]:
    # Only flood-mode calls carry it, so every other URL keeps its shape.
    return {"strict": "1"} if strict else {}


def _after_check(
    result: Result, precinct: str, how: str, tries: int, wrong_prompt: str, strict: bool
) -> Response:
    """The answer to a PIN or backup code that was checked: on hold, or another try, or
    goodbye when the tries are used up or the number was blocked.
    """
    count_check(result, "precinct")
    if result is Result.VERIFIED:
        # On the line already; the chair chooses the keypad or a volunteer.
        return report_choice(precinct)
    tries += 1
    if result is Result.BLOCKED or tries >= services().settings.policy.pin_tries_per_call:
        return goodbye("goodbye_pin_failed")
    return _ask_pin(
        precinct, how=how, tries=tries, reprompts=0, preface=wrong_prompt, strict=strict
    )


def _ask_precinct(
    reprompts: int,
    preface: str = "",
    preface_text: str = "",
    strict: bool = False,
    question: str | None = None,
) -> Response:
    """Ask for the precinct: `question` names the prompt when the policy chose one (the
    first question of a strict challenge), else the flood challenge's or the usual.
    """
    return ask(
        prompt(question or ("flood_challenge" if strict else "ask_precinct")),
        url("/voice/precinct", reprompts=reprompts, step=next_step(), **_strict_arg(strict)),
        preface_text or (prompt(preface) if preface else ""),
        first=_first_prompt(),
    )


def _ask_pin(
    precinct: str, *, how: str, tries: int, reprompts: int, preface: str = "", strict: bool = False
) -> Response:
    text = (
        prompt("ask_pin_known_chair").format(precinct=spell(precinct))
        if how == "registered-phone" and tries == 0 and reprompts == 0
        else prompt("ask_pin")
    )
    action = url(
        "/voice/pin",
        precinct=precinct,
        how=how,
        tries=tries,
        reprompts=reprompts,
        step=next_step(),
        **_strict_arg(strict),
    )
    return ask(text, action, prompt(preface) if preface else "", first=_first_prompt())


def _first_prompt() -> bool:
    """This answer asks the call's first question (where 9 switches the language)."""
    return next_step() == 0


def _switching_language(digits: str) -> bool:
    """The caller pressed 9 alone at the first prompt: from now on, the other language."""
    other = other_language()
    if digits != pins.LANGUAGE_KEY or int_arg("step") != 0 or other is None:
        return False
    speak_in(other.code)
    return True


def _ask_backup(
    precinct: str, *, how: str, tries: int, reprompts: int, preface: str = "", strict: bool = False
) -> Response:
    action = url(
        "/voice/backup-code",
        precinct=precinct,
        how=how,
        tries=tries,
        reprompts=reprompts,
        step=next_step(),
        **_strict_arg(strict),
    )
    return ask(
        prompt("ask_backup_code").format(precinct=spell(precinct)),
        action,
        prompt(preface) if preface else "",
    )


def _reprompt_or_end(reprompts: int, ask_again) -> Response:
    if reprompts >= services().settings.voice.reprompts:
        return goodbye("goodbye_no_input")
    return ask_again(reprompts + 1)
