"""The real app on a simulated phone network, in virtual time: webhooks through WSGI, and
Hotline's jobs reaching the simulator's REST stand-in over real HTTP on loopback.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from http import HTTPStatus

from hotline.app import create_app
from hotline.pins import volunteer_backup_digest, volunteer_pin_digest
from hotline.services import Services
from hotline.settings import Settings
from hotline.sim.loop import EventLoop
from hotline.sim.network import ApiError, Network, Reply, SimCall
from hotline.sim.people import Listener
from hotline.sim.rest import create_rest_app
from hotline.sim.serving import loopback_server
from hotline.sim.transport import WsgiTransport
from tests.support.env import settings_env
from tests.support.roster import load_small_roster
from tests.support.twilio import AUTH_TOKEN, PIN_KEY, PUBLIC_URL
from workers import runtime

VOLUNTEER_PHONE = "+15155550999"
VOLUNTEER_PIN = "246810"
VOLUNTEER_BACKUP_CODE = "13579246"
VOLUNTEER_LINE = f"{PUBLIC_URL}/voice/volunteer"


class Person(Listener):
    """Presses the keys it was given, one prompt after another, then waits wherever it is."""

    def __init__(self, *keys: str) -> None:
        self.keys = list(keys)
        self.connected: list[str] = []

    def on_gather(self, call: SimCall, heard: list[str], holding: bool) -> Reply:
        if holding or not self.keys:
            return Reply()
        return Reply(self.keys.pop(0) + "#", 2.0)

    def on_connected(self, call: SimCall) -> None:
        self.connected.append(call.sid)


class Flaky:
    """WSGI middleware in front of the REST stand-in: answers 503 while `down`, and
    refuses a request whose path ends with a key of `refusals` with that key's error, in
    Twilio's shape, every time.
    """

    def __init__(self, app) -> None:
        self.app, self.down = app, False
        self.refusals: dict[str, ApiError] = {}

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        refusal = next((error for end, error in self.refusals.items() if path.endswith(end)), None)
        if not self.down and refusal is None:
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"].read(length))
        if refusal is not None:
            start_response(
                f"{refusal.status} {HTTPStatus(refusal.status).phrase}",
                [("Content-Type", "application/json")],
            )
            return [json.dumps(refusal.to_resource()).encode()]
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
        return [b"unavailable"]


@contextlib.contextmanager
def phone_night(
    redis_url: str, clock, **env: str
) -> Iterator[tuple[Services, EventLoop, Network, Flaky]]:
    """The small roster and one volunteer ("Ann", v1), on an empty Redis; `env` adds to
    the settings' environment (HOTLINE_CONFIG, say).
    """
    with loopback_server() as rest_server:
        settings = Settings.load(env=settings_env(TWILIO_API_BASE_URL=rest_server.url, **env))
        services = Services.build(settings, clock=clock, redis_url=redis_url)
        services.store.redis.flushdb()
        runtime.install(services)
        load_small_roster(services)
        services.store.volunteers.add(
            "Ann",
            VOLUNTEER_PHONE,
            lambda vid: volunteer_pin_digest(PIN_KEY, vid, VOLUNTEER_PIN),
            backup_digest=lambda vid: volunteer_backup_digest(PIN_KEY, vid, VOLUNTEER_BACKUP_CODE),
            author="test",
        )
        loop = EventLoop(clock)
        network = Network(
            loop,
            WsgiTransport(create_app(services), AUTH_TOKEN),
            account_sid=settings.twilio_account_sid,
            voice_url=f"{PUBLIC_URL}/voice/incoming",
            status_url=f"{PUBLIC_URL}/voice/status",
        )
        flaky = Flaky(create_rest_app(network, auth_token=AUTH_TOKEN))
        rest_server.set_app(flaky)
        try:
            yield services, loop, network, flaky
        finally:
            services.store.redis.flushdb()
