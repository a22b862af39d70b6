"""What every voice webhook shares: the signature check, the apology on failure, and the
small helpers that build answers from settings.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, request

from hotline.phone import normalise_caller_id
from hotline.services import Services
from hotline.settings import VoiceSettings
from hotline.voice import twiml
from hotline.voice.signature import SIGNATURE_HEADER, is_signed, public_request_url

log = logging.getLogger(__name__)

# Twilio CallSids are "CA" and 32 hex digits; accept any short ASCII token so
# test and simulator SIDs work, but nothing that could smuggle a key separator.
_CALL_SID = re.compile(r"[A-Za-z0-9]{1,64}")


def services() -> Services:
    return current_app.extensions["hotline"]


def guard_webhooks(bp: Blueprint) -> None:
    """Every route of `bp` answers 403 unless Twilio signed the request, and TwiML on failure."""
    bp.before_request(require_twilio_signature)
    bp.errorhandler(Exception)(apologise)


def require_twilio_signature() -> None:
    settings = services().settings
    url = public_request_url(settings.public_url, request.path, request.query_string)
    if not is_signed(
        settings.twilio_auth_token, url, request.form, request.headers.get(SIGNATURE_HEADER)
    ):
        abort(403)


def apologise(error: Exception) -> Response:
    """A failure inside a webhook still answers valid TwiML: the caller hears why."""
    if hasattr(error, "code") and hasattr(error, "get_response"):
        return error  # an HTTP error (400, 403, 405) is already a clear answer
    log.exception("webhook %s failed", request.path)
    return respond(twiml.goodbye(prompt("trouble"), speech()))


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
    return _absolute_url(services().settings.public_url, path, tuple(params.items()))


@lru_cache(maxsize=4096)
def _absolute_url(public_url: str, path: str, params: tuple[tuple[str, object], ...]) -> str:
    # Cached: the same few URLs go into every answer.
    base = public_url + path
    return f"{base}?{urlencode(params)}" if params else base


def prompt(name: str) -> str:
    return services().settings.prompts[name]


def speech() -> twiml.Speech:
    return _speech_for(services().settings.voice)


@lru_cache(maxsize=8)
def _speech_for(voice: VoiceSettings) -> twiml.Speech:
    return twiml.Speech(voice=voice.say_voice, language=voice.say_language)


def spell(digits: str) -> str:
    """Digits spoken one by one ("1 2 0 4"), as a chair reads them off a sheet."""
    return " ".join(digits)


def call_sid() -> str:
    call_sid = request.form.get("CallSid", "").strip()
    if not _CALL_SID.fullmatch(call_sid):
        abort(400)
    return call_sid


def int_arg(name: str) -> int:
    value = optional_int(request.args.get(name))
    return 0 if value is None or value < 0 else value


def optional_int(text: str | None) -> int | None:
    try:
        return int(text) if text not in (None, "") else None
    except ValueError:
        return None
