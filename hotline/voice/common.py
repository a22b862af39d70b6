"""What every voice webhook shares: the signature check, the apology on failure, the
steps of a call, and the small helpers that build answers from settings.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Callable
from contextvars import Token
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlencode

from flask import Blueprint, Flask, Request, Response, abort, current_app, g, request
from redis.exceptions import RedisError
from werkzeug.exceptions import HTTPException

from hotline import log_context
from hotline.metrics import UNMATCHED, WebMetrics
from hotline.phone import normalise_caller_id
from hotline.services import Services
from hotline.settings import LANGUAGE_ARG, Language, Settings, language_query
from hotline.steps.verification import Caller, Result
from hotline.store import deadline, keys
from hotline.voice import twiml
from hotline.voice.signature import SIGNATURE_HEADER, is_signed, public_request_url

log = logging.getLogger(__name__)

# Twilio numbers a call's status callbacks 0, 1, 2, ...: a handful per call. Nine digits
# is far beyond any real call and far inside what Redis and Lua hold exactly.
_SEQUENCE_NUMBER = re.compile(r"[0-9]{1,9}")


def services() -> Services:
    return current_app.extensions["hotline"]


def web_metrics() -> WebMetrics:
    """The counters of this web worker (hotline/metrics.py): memory only, no Redis."""
    return current_app.extensions["metrics"]


def route_of_request() -> str:
    """The route a request matched (its rule: a few values, whatever the query), or
    "unmatched".
    """
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED


VOICE_PREFIX = "/voice/"
# While the hotline is in trouble: how long a caller hears music or quiet before it
# tries again, and how often a keypad step is tried again before the apology.
TROUBLE_PAUSE_S = 5
STEP_RETRIES = 6


def voice_blueprint(name: str) -> Blueprint:
    """A blueprint for Twilio's webhooks, under /voice/: a failure inside one of its routes
    still answers valid TwiML (the caller hears an apology), never a 500.
    """
    bp = Blueprint(name, __name__, url_prefix=VOICE_PREFIX.rstrip("/"))
    bp.errorhandler(Exception)(apologise)
    return bp


def guard_voice_routes(app: Flask) -> None:
    """Every request under /voice/, whichever blueprint serves it (and any added later),
    answers 403 unless Twilio signed it: one check, before any route runs. And each has a
    time limit on its Redis work, so that it answers well inside Twilio's 15 seconds, and
    is timed for /metrics, all of it, the signature check included.
    """
    app.before_request(_guard_voice_request)
    app.teardown_request(_end_webhook)


@dataclass
class _Webhook:
    """What a webhook's end undoes and reports: kept on `g` as one value, since every
    look through Flask's context locals costs (this runs on every webhook).
    """

    started: float  # time.perf_counter(): how long Twilio waited, not the injected clock
    redis_deadline: Token | None = None
    log_call: Token | None = None


def _guard_voice_request() -> None:
    """The timer, then the signature (an unsigned request gets 403 and no time limit), then
    the time limit, and the call the request is about, for the log lines it writes. One
    hook, and the request looked up once: this runs on every webhook.
    """
    req = request._get_current_object()
    if not req.path.startswith(VOICE_PREFIX):
        return
    webhook = g.webhook = _Webhook(time.perf_counter())
    settings = services().settings
    require_twilio_signature(settings, req)
    webhook.redis_deadline = deadline.start(settings.webhook_redis_budget_s)
    sid = req.form.get("CallSid", "")
    webhook.log_call = log_context.bind_call_sid(sid if keys.CALL_SID.fullmatch(sid) else None)


def _end_webhook(_error: BaseException | None) -> None:
    webhook = g.pop("webhook", None)
    if webhook is None:
        return
    if webhook.redis_deadline is not None:
        deadline.end(webhook.redis_deadline)
    if webhook.log_call is not None:
        log_context.unbind(webhook.log_call)
    web_metrics().observe_webhook(route_of_request(), time.perf_counter() - webhook.started)


def require_twilio_signature(settings: Settings, req: Request) -> None:
    url = public_request_url(settings.public_url, req.path, req.query_string)
    if not is_signed(settings.twilio_auth_token, url, req.form, req.headers.get(SIGNATURE_HEADER)):
        abort(403)


def apologise(error: Exception) -> Response:
    """A failure inside a webhook still answers valid TwiML: the caller hears why."""
    if hasattr(error, "code") and hasattr(error, "get_response"):
        return error  # an HTTP error (400, 403, 405) is already a clear answer
    _log_failure(error)
    return respond(twiml.goodbye(prompt("trouble"), speech()))


def degrades_to(fallback: Callable[[], Response]) -> Callable:
    """When the route fails (Redis gone or slow, or anything else), the caller hears
    `fallback()` instead of the apology that ends the call.
    """

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def wrapped(*args, **kwargs) -> Response:
            try:
                return view(*args, **kwargs)
            except HTTPException:
                raise
            except Exception as error:  # noqa: BLE001 - whatever failed, the call goes on
                _log_failure(error)
                return fallback()

        return wrapped

    return decorate


def reject_busy() -> Response:
    """A new call the hotline cannot take now: a busy signal, never answered, so the
    caller's phone can simply redial (any word spoken first would answer the call).
    """
    return respond(twiml.reject_busy())


def keep_holding() -> Response:
    """Back to this very wait URL after a spell of music or quiet."""
    voice = services().settings.voice
    return respond(twiml.hold_then_return(voice.hold_music_url, TROUBLE_PAUSE_S, _this_url()))


def retry_this_step() -> Response:
    """ "One moment", then this very step again; after a few tries, the apology."""
    tries = int_arg("retried")
    if tries >= STEP_RETRIES:
        return respond(twiml.goodbye(prompt("trouble"), speech()))
    query = [(k, v) for k, v in request.args.items(multi=True) if k != "retried"]
    target = url(request.path, **dict(query), retried=tries + 1)
    return respond(twiml.moment_then_retry(prompt("one_moment"), TROUBLE_PAUSE_S, target, speech()))


def _this_url() -> str:
    return public_request_url(services().settings.public_url, request.path, request.query_string)


def _log_failure(error: Exception) -> None:
    if isinstance(error, RedisError):
        web_metrics().count_redis_error(route_of_request())
        # An outage makes every webhook fail alike: one line each, not a traceback each.
        log.warning("webhook %s: Redis unavailable (%s)", request.path, type(error).__name__)
    else:
        log.exception("webhook %s failed", request.path)


def count_check(result: Result, kind: str) -> None:
    """Count a PIN or backup code that did not match (`kind`: whose it was, a "precinct"
    or a "volunteer").
    """
    if result in (Result.WRONG, Result.BLOCKED):
        web_metrics().count_pin_failure(kind)


def this_caller() -> Caller:
    """The call a keypad answer came on: its SID, its number, the number it dialled, and
    the language it is spoken to in."""
    return Caller(
        call_sid=call_sid(),
        number=caller_number(),
        dialled=request.form.get("To") or None,
        language=call_language(),
    )


def caller_number() -> str | None:
    settings = services().settings
    return normalise_caller_id(
        request.form.get("From"),
        region=settings.default_region,
        withheld_numbers=settings.withheld_numbers,
        withheld_words=settings.withheld_words,
    )


def respond(document: str) -> Response:
    return Response(document, status=200, mimetype="text/xml")


def url(path: str, **params: object) -> str:
    params.update(language_query(call_language()))
    return _absolute_url(services().settings.public_url, path, tuple(params.items()))


@lru_cache(maxsize=4096)
def _absolute_url(public_url: str, path: str, params: tuple[tuple[str, object], ...]) -> str:
    # Cached: the same few URLs go into every answer.
    base = public_url + path
    return f"{base}?{urlencode(params)}" if params else base


def prompt(name: str) -> str:
    return language().prompts[name]


def speech() -> twiml.Speech:
    return _speech_for(language())


def _speech_for(spoken: Language) -> twiml.Speech:
    return _speech(spoken.say_voice, spoken.say_language)


@lru_cache(maxsize=8)
def _speech(voice: str, say_language: str) -> twiml.Speech:
    return twiml.Speech(voice=voice, language=say_language)


# Languages: the call's own travels in the URLs it is given (LANGUAGE_ARG, signed by Twilio
# like the rest), so every step of the call speaks it; absent means the hotline's first.


def language() -> Language:
    """The language this call is spoken to in. Looked up once per request: every prompt,
    voice and URL of an answer asks for it.
    """
    spoken = g.get("language")
    if spoken is None:
        spoken = services().settings.language(request.args.get(LANGUAGE_ARG))
        g.language = spoken
    return spoken


def call_language() -> str | None:
    """The code of this call's language, or None when it is the hotline's first: what its
    URLs carry, and what a call back or a text to the caller is said in.
    """
    code = language().code
    return None if code == services().settings.first_language else code


def speak_in(code: str) -> None:
    """From this answer on, the call is spoken to in `code` (when the hotline speaks it)."""
    spoken = services().settings.languages.get(code)
    if spoken is not None:
        g.language = spoken


def other_language() -> Language | None:
    """The language a caller can switch to with 9 at the first prompt, or None."""
    settings = services().settings
    if settings.second_language is None:
        return None
    current = language().code
    other = (
        settings.second_language
        if current == settings.first_language
        else (settings.first_language)
    )
    return settings.languages[other]


def language_offer() -> tuple[str, twiml.Speech] | None:
    """ "Para español, oprima 9", said in the language offered, at a call's first prompt."""
    other = other_language()
    return None if other is None else (other.prompts["switch_language"], _speech_for(other))


def spell(digits: str) -> str:
    """Digits spoken one by one ("1 2 0 4"), as a chair reads them off a sheet."""
    return " ".join(digits)


def call_sid() -> str:
    call_sid = request.form.get("CallSid", "").strip()
    if not keys.CALL_SID.fullmatch(call_sid):
        abort(400)
    return call_sid


def one_step(restart: str | None = None) -> Callable:
    """The route answers one step of a call, named by `step` in its URL (Twilio signs the
    URL, so it cannot be forged). A step is applied once and in order: a request for a
    step the call has passed, or for a call that has ended, is a replay and gets 409 with
    nothing changed; a step tried again after a failure (retry_this_step) runs again. A
    call Redis has no record of (its state was lost) starts again at `restart`, if the
    route has one, rather than being dropped.

    The URLs the route hands out name the next step: `next_step()`.
    """

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def wrapped(*args, **kwargs) -> Response:
            step = int_arg("step")
            state = services().store.calls.take_step(call_sid(), step, retry=int_arg("retried") > 0)
            if state == "ok":
                g.next_step = step + 1
                return view(*args, **kwargs)
            if state == "unknown" and restart is not None:
                return respond(twiml.redirect(url(restart)))
            abort(409, description=f"step {step} of this call is {state}")

        return wrapped

    return decorate


def next_step() -> int:
    """The step the next keypad answer of this call will be (0 on a call's first answer)."""
    return g.get("next_step", 0)


def int_arg(name: str) -> int:
    value = optional_int(request.args.get(name))
    return 0 if value is None or value < 0 else value


def optional_int(text: str | None) -> int | None:
    try:
        return int(text) if text not in (None, "") else None
    except ValueError:
        return None


def sequence_number(text: str | None) -> int | None:
    """A status callback's SequenceNumber, or None when it is absent or could not be
    Twilio's (a sign, a 4,000-digit number that Lua would read as infinity and so rank
    above every later callback).
    """
    return int(text) if text is not None and _SEQUENCE_NUMBER.fullmatch(text) else None


def hold_answer(precinct: str, message_name: str = "verified") -> Response:
    """A verified chair goes on hold in the chairs' queue; the wait URL names the precinct,
    which Twilio keeps for as long as the call waits.
    """
    settings = services().settings
    return respond(
        twiml.hold_in_line(
            prompt(message_name).format(precinct=spell(precinct)),
            settings.queue_name,
            url("/voice/wait", precinct=precinct),
            url("/voice/queue-exit"),
            speech(),
        )
    )


def room_answer(room: str, message_name: str, *, chair_of: str | None = None) -> Response:
    """Into a volunteer's conference room. The volunteer's own leg ends the room when it
    hangs up; the chair's (`chair_of`, their precinct) does not, and should the room end
    while they are still on the line (the volunteer's phone dropped), they are asked at
    /voice/room-ended whether they want a volunteer again, not hung up on.
    """
    return respond(
        twiml.conference_room(
            prompt(message_name),
            room,
            end_on_exit=chair_of is None,
            speech=speech(),
            action_url=url("/voice/room-ended", precinct=chair_of) if chair_of else None,
        )
    )


def goodbye(message_name: str, **fields: str) -> Response:
    return respond(twiml.goodbye(prompt(message_name).format(**fields), speech()))


def ask(text: str, action: str, preface: str = "", *, first: bool = False) -> Response:
    """A keypad prompt whose answer (or silence) is posted to `action`. The `first` prompt
    of a call also offers the other language (9).
    """
    offer = language_offer() if first else None
    return respond(
        twiml.ask_digits(
            text, action, services().settings.voice.gather_timeout_s, speech(), preface, offer
        )
    )
