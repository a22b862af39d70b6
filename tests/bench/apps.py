"""WSGI entry points for the benchmark's gunicorn servers.

gunicorn imports `tests.bench.apps:triage_app()`, `:bare_app()` or `:ping_app()`
in each of its workers. The benchmark hands them what they need through the
contract's environment variables (REDIS_URL, HOTLINE_PUBLIC_URL, ...); nothing
happens at import time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

import redis
from flask import Flask, Response

from hotline.app import create_app
from hotline.services import Services
from hotline.settings import Settings

# Only these reach Settings: a developer's own HOTLINE_CONFIG or REDIS_URL
# must not leak into a run that owns its Redis.
SETTINGS_ENV = (
    "REDIS_URL",
    "HOTLINE_DATA_DIR",
    "HOTLINE_PUBLIC_URL",
    "HOTLINE_SECRET_KEY",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
)

# What /voice/incoming answers an unknown caller (the challenge), byte for byte
# with the default prompts and voice settings; the benchmark checks that the two
# servers answer the same bytes before it measures anything.
BARE_TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    '<Gather action="{public_url}/voice/precinct?reprompts=0&amp;step=0" '
    'actionOnEmptyResult="true" finishOnKey="#" input="dtmf" method="POST" timeout="6">'
    '<Say language="en-US">Welcome to the caucus results hotline. '
    "Please enter your precinct number, then press pound.</Say>"
    '<Say language="es-US" voice="Polly.Lupe">Para español, oprima 9.</Say>'
    "</Gather></Response>"
)


def bench_settings(env: dict[str, str]) -> Settings:
    if not env.get("REDIS_URL"):
        raise RuntimeError("the benchmark's triage app needs REDIS_URL (its own Redis)")
    return Settings.load(env=env)


def triage_app(env: Mapping[str, str] | None = None) -> Flask:
    """The real app, as `hotline serve` builds it, against the benchmark's Redis."""
    env = os.environ if env is None else env
    chosen = {name: env[name] for name in SETTINGS_ENV if name in env}
    return create_app(Services.build(bench_settings(chosen)))


def bare_app(env: Mapping[str, str] | None = None) -> Flask:
    """The floor: one POST route answering a fixed TwiML document, no checks, no Redis."""
    return _fixed_answer_app(before=None, env=os.environ if env is None else env)


def ping_app() -> Flask:
    """The bare route plus one Redis round trip (a PING, on a client made as Services.build
    makes its own): the cheapest any design that talks to Redis once can be.
    """
    url = os.environ.get("REDIS_URL")
    if not url:
        raise RuntimeError("the benchmark's ping app needs REDIS_URL (its own Redis)")
    client = redis.Redis.from_url(url, decode_responses=True, health_check_interval=30)
    return _fixed_answer_app(before=client.ping, env=os.environ)


def _fixed_answer_app(before: Callable[[], object] | None, env: Mapping[str, str]) -> Flask:
    public_url = env.get("HOTLINE_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/")
    document = BARE_TWIML.format(public_url=public_url)
    app = Flask(__name__)

    @app.post("/voice/incoming")
    def incoming() -> Response:
        if before is not None:
            before()
        return Response(document, status=200, mimetype="text/xml")

    return app
