"""The voice webhooks Twilio calls: inbound calls, keypad answers, hold, status.

Each handler reads the form Twilio posted, makes one or two Redis round trips
through the store, and answers TwiML. Nothing here calls Twilio or waits on
anything slow: bookkeeping that can wait is an RQ job. State that belongs to
one call (which precinct it claimed, how many tries are left) travels in the
query string of the next URL: Twilio signs the whole URL, so it cannot be
forged.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, request

from hotline import pins
from hotline.enforcement import apply_block
from hotline.phone import normalise_caller_id
from hotline.services import Services
from hotline.settings import VoiceSettings
from hotline.triage import Action, decide, decide_after_pin_failure
from hotline.voice import twiml
from hotline.voice.signature import SIGNATURE_HEADER, is_signed, public_request_url
from workers.call_end import process_call_end

log = logging.getLogger(__name__)

bp = Blueprint("voice", __name__, url_prefix="/voice")

TERMINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
# Twilio CallSids are "CA" and 32 hex digits; accept any short ASCII token so
# test and simulator SIDs work, but nothing that could smuggle a key separator.
_CALL_SID = re.compile(r"[A-Za-z0-9]{1,64}")


def services() -> Services:
    return current_app.extensions["hotline"]


@bp.before_request
def require_twilio_signature() -> None:
    settings = services().settings
    url = public_request_url(settings.public_url, request.path, request.query_string)
    if not is_signed(
        settings.twilio_auth_token, url, request.form, request.headers.get(SIGNATURE_HEADER)
    ):
        abort(403)


@bp.errorhandler(Exception)
def apologise(error: Exception) -> Response:
    """A failure inside a webhook still answers valid TwiML: the caller hears why."""
    if hasattr(error, "code") and hasattr(error, "get_response"):
        return error  # an HTTP error (400, 403, 405) is already a clear answer
    log.exception("webhook %s failed", request.path)
    return _twiml(twiml.goodbye(_prompt("trouble"), _speech()))


@bp.post("/incoming")
def incoming() -> Response:
    svc = services()
    settings = svc.settings
    call_sid = _call_sid()
    number = normalise_caller_id(
        request.form.get("From"),
        region=settings.default_region,
        withheld_numbers=settings.withheld_numbers,
        withheld_words=settings.withheld_words,
    )
    arrival = svc.store.calls.arrive(
        now=svc.clock.now(),
        call_sid=call_sid,
        number=number,
        request={
            "to": request.form.get("To", ""),
            "stir_verstat": request.form.get("StirVerstat", ""),
            "from_state": request.form.get("FromState", ""),
            "from_country": request.form.get("FromCountry", ""),
        },
    )
    if arrival.block is not None:
        return _twiml(twiml.reject_busy())

    verdict = decide(arrival.facts, settings.policy)
    action = verdict.effective_action
    if not verdict.enforced or action not in (Action.CHALLENGE, Action.FAST_TRACK):
        # Off the common path: record the verdict now (the call-end job records
        # the common ones, keeping a challenge to one round trip).
        svc.store.calls.record_verdict(call_sid, verdict)
        apply_block(svc.store, number, verdict)

    if action is Action.DIVERT:
        return _twiml(twiml.goodbye(_prompt(verdict.divert_message.value), _speech()))
    if action in (Action.TEMP_BLOCK, Action.BLOCK):
        return _twiml(twiml.reject_busy())
    if action is Action.FAST_TRACK:
        return _ask_pin(verdict.chair_precinct, how="registered-phone", tries=0, reprompts=0)
    return _ask_precinct(reprompts=0)


@bp.post("/precinct")
def precinct_entered() -> Response:
    _call_sid()
    reprompts = _int_arg("reprompts")
    code = request.form.get("Digits", "").strip()
    if not pins.is_valid_precinct_code(code):
        return _reprompt_or_end(reprompts, lambda n: _ask_precinct(n, preface="no_input"))
    if services().store.roster.get(code) is None:
        preface = _prompt("unknown_precinct").format(precinct=_spell(code))
        return _reprompt_or_end(reprompts, lambda n: _ask_precinct(n, preface_text=preface))
    return _ask_pin(code, how="keyed-precinct", tries=0, reprompts=0)


@bp.post("/pin")
def pin_entered() -> Response:
    svc = services()
    settings = svc.settings
    call_sid = _call_sid()
    precinct = request.args.get("precinct", "")
    if not pins.is_valid_precinct_code(precinct):
        abort(400)
    how = request.args.get("how", "keyed-precinct")
    tries = _int_arg("tries")
    reprompts = _int_arg("reprompts")
    digits = request.form.get("Digits", "").strip()

    if not digits:
        return _reprompt_or_end(
            reprompts, lambda n: _ask_pin(precinct, how=how, tries=tries, reprompts=n,
                                          preface="no_input")  # fmt: skip
        )

    record = svc.store.roster.get(precinct)
    secret = settings.require_secret_key()
    number = normalise_caller_id(
        request.form.get("From"),
        region=settings.default_region,
        withheld_numbers=settings.withheld_numbers,
        withheld_words=settings.withheld_words,
    )
    if (
        record is not None
        and pins.is_valid_pin(digits)
        and pins.pin_matches(secret, precinct, digits, record.pin_digest)
    ):
        svc.store.line.join(
            now=svc.clock.now(), precinct=precinct, call_sid=call_sid, number=number,
            verified_how=how,
        )  # fmt: skip
        return _hold(precinct)

    tries += 1
    failures, temp_blocks = svc.store.calls.pin_failed(
        now=svc.clock.now(), call_sid=call_sid, number=number, precinct=precinct, attempt=tries
    )
    block = decide_after_pin_failure(
        failures, temp_blocks, settings.policy, chair_number=how == "registered-phone"
    )
    if block is not None:
        svc.store.calls.record_verdict(call_sid, block)
        apply_block(svc.store, number, block)
        if block.enforced:
            return _twiml(twiml.goodbye(_prompt("goodbye_pin_failed"), _speech()))
    if tries >= settings.policy.pin_tries_per_call:
        return _twiml(twiml.goodbye(_prompt("goodbye_pin_failed"), _speech()))
    return _ask_pin(precinct, how=how, tries=tries, reprompts=reprompts, preface="wrong_pin")


@bp.post("/wait")
def wait() -> Response:
    """Twilio's waitUrl for the chairs' queue: runs again each time it finishes."""
    _call_sid()
    settings = services().settings
    precinct = request.args.get("precinct", "")
    position = services().store.line.position(precinct) if precinct else None
    if position is None:
        message = ""
    elif position == 1:
        message = _prompt("position_first")
    else:
        message = _prompt("position").format(position=position)
    return _twiml(
        twiml.waiting(
            message, settings.voice.hold_music_url, settings.voice.hold_pause_s, _speech()
        )
    )


@bp.post("/queue-exit")
def queue_exit() -> Response:
    """Enqueue's action: the caller left the queue. Only errors need words."""
    _call_sid()
    result = request.form.get("QueueResult", "")
    if result in ("error", "system-error", "queue-full", "redirect-failed"):
        return _twiml(twiml.goodbye(_prompt("trouble"), _speech()))
    return _twiml(twiml.hang_up())


@bp.post("/status")
def status() -> Response:
    """Status callback: idempotent, order-tolerant, the end of a call recorded once."""
    svc = services()
    call_sid = _call_sid()
    call_status = request.form.get("CallStatus", "").strip().lower()
    if not call_status:
        abort(400)
    sequence = _optional_int(request.form.get("SequenceNumber"))
    duration = _optional_int(request.form.get("CallDuration"))
    record = svc.store.calls.get(call_sid)
    if record is None:
        return _twiml(twiml.empty())  # not a call this hotline answered
    terminal = call_status in TERMINAL_STATUSES
    ended = svc.store.calls.end(
        now=svc.clock.now(),
        call_sid=call_sid,
        status=call_status,
        sequence=sequence,
        duration_s=duration,
        terminal=terminal,
        precinct=record.precinct,
        keep_place_s=svc.settings.keep_place_for_s,
    )
    # Only calls that took the common path leave bookkeeping for the job: a
    # rejected or diverted call's verdict is already recorded, and it cannot be
    # an instant hang-up. During a flood that is most calls, and most jobs saved.
    if ended.applied and terminal and record.verdict is None:
        svc.queue.enqueue(process_call_end, call_sid, job_timeout=60)
    return _twiml(twiml.empty())


# Helpers: the parts of each answer that every handler shares.


def _ask_precinct(reprompts: int, preface: str = "", preface_text: str = "") -> Response:
    settings = services().settings
    return _twiml(
        twiml.ask_digits(
            _prompt("ask_precinct"),
            _url("/voice/precinct", reprompts=reprompts),
            settings.voice.gather_timeout_s,
            _speech(),
            preface_text or (_prompt(preface) if preface else ""),
        )
    )


def _ask_pin(precinct: str, *, how: str, tries: int, reprompts: int, preface: str = "") -> Response:
    settings = services().settings
    prompt = (
        _prompt("ask_pin_known_chair").format(precinct=_spell(precinct))
        if how == "registered-phone" and tries == 0 and reprompts == 0
        else _prompt("ask_pin")
    )
    return _twiml(
        twiml.ask_digits(
            prompt,
            _url("/voice/pin", precinct=precinct, how=how, tries=tries, reprompts=reprompts),
            settings.voice.gather_timeout_s,
            _speech(),
            _prompt(preface) if preface else "",
        )
    )


def _hold(precinct: str) -> Response:
    settings = services().settings
    return _twiml(
        twiml.hold_in_line(
            _prompt("verified").format(precinct=_spell(precinct)),
            settings.queue_name,
            _url("/voice/wait", precinct=precinct),
            _url("/voice/queue-exit"),
            _speech(),
        )
    )


def _reprompt_or_end(reprompts: int, ask_again) -> Response:
    if reprompts >= services().settings.voice.reprompts:
        return _twiml(twiml.goodbye(_prompt("goodbye_no_input"), _speech()))
    return ask_again(reprompts + 1)


def _twiml(document: str) -> Response:
    return Response(document, status=200, mimetype="text/xml")


def _url(path: str, **params: object) -> str:
    return _absolute_url(services().settings.public_url, path, tuple(params.items()))


@lru_cache(maxsize=4096)
def _absolute_url(public_url: str, path: str, params: tuple[tuple[str, object], ...]) -> str:
    # Cached: the same few URLs go into every answer.
    base = public_url + path
    return f"{base}?{urlencode(params)}" if params else base


def _prompt(name: str) -> str:
    return services().settings.prompts[name]


def _speech() -> twiml.Speech:
    return _speech_for(services().settings.voice)


@lru_cache(maxsize=8)
def _speech_for(voice: VoiceSettings) -> twiml.Speech:
    return twiml.Speech(voice=voice.say_voice, language=voice.say_language)


def _spell(digits: str) -> str:
    """Digits spoken one by one ("1 2 0 4"), as a chair reads them off a sheet."""
    return " ".join(digits)


def _call_sid() -> str:
    call_sid = request.form.get("CallSid", "").strip()
    if not _CALL_SID.fullmatch(call_sid):
        abort(400)
    return call_sid


def _int_arg(name: str) -> int:
    value = _optional_int(request.args.get(name))
    return 0 if value is None or value < 0 else value


def _optional_int(text: str | None) -> int | None:
    try:
        return int(text) if text not in (None, "") else None
    except ValueError:
        return None
