"""hotline.telephony against the simulator's stand-in for Twilio's REST API, over real HTTP:
the stand-in is served on a local port, and the settings point TWILIO_API_BASE_URL at it.
"""

from __future__ import annotations

import io
import json
import logging
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from hotline.clock import ManualClock
from hotline.settings import ConfigError, Settings
from hotline.sim.loop import EventLoop
from hotline.sim.network import Network, SimCall
from hotline.sim.people import Listener
from hotline.sim.rest import create_rest_app
from hotline.store import keys
from hotline.telephony import (
    AccountRefused,
    CallGone,
    IncomingNumber,
    QueueNotFound,
    Telephony,
    TelephonyError,
    TransientTelephonyError,
    telephony_for,
)
from tests.support.env import settings_env
from tests.support.twilio import AUTH_TOKEN

ACCOUNT = settings_env()["TWILIO_ACCOUNT_SID"]
APP_URL = "https://hotline.example.test"
VOICE_URL = f"{APP_URL}/voice/incoming"
STATUS_URL = f"{APP_URL}/voice/status"
ROOM_URL = f"{APP_URL}/voice/room/v1"
CALLBACK_URL = f"{APP_URL}/voice/callback"
HOTLINE = "+15155550000"
CHAIR = "+15155550100"
OTHER_CHAIR = "+15155550101"
QUEUE = "chairs"
ENQUEUE = f'<Response><Enqueue waitUrl="">{QUEUE}</Enqueue></Response>'
ROOM = "<Response><Dial><Conference>room-v1</Conference></Dial></Response>"
PAUSE = '<Response><Pause length="600"/></Response>'


class AppSide:
    """The app's side of the simulated network: fixed TwiML per URL, Pause elsewhere."""

    def __init__(self) -> None:
        self.documents = {VOICE_URL: ENQUEUE, ROOM_URL: ROOM}
        self.posts: list[tuple[str, dict[str, str]]] = []

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        self.posts.append((url, params))
        return 200, self.documents.get(url, PAUSE)

    def urls(self) -> list[str]:
        return [url for url, _ in self.posts]


class Recorder:
    """WSGI middleware: notes each request (method, path, form) and, if told, answers
    with a canned status instead of the app.
    """

    def __init__(self, app) -> None:
        self.app = app
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        self.fail_with: int | None = None

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        form = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
        self.requests.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], form))
        if self.fail_with is None:
            return self.app(environ, start_response)
        status = self.fail_with
        if status == 429:
            payload = json.dumps(
                {"code": 20429, "message": "Too Many Requests", "status": 429}
            ).encode()
            start_response("429 Too Many Requests", [("Content-Type", "application/json")])
        else:
            payload = b"<html><body>Service Unavailable</body></html>"
            start_response(f"{status} Service Unavailable", [("Content-Type", "text/html")])
        return [payload]

    def paths(self) -> list[str]:
        return [path for _, path, _ in self.requests]


@contextmanager
def serving(app) -> Iterator[str]:
    """Serve the WSGI `app` on a free local port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class StandIn:
    """A simulated network and the REST stand-in over it, served over HTTP."""

    def __init__(self) -> None:
        self.clock = ManualClock()
        self.loop = EventLoop(self.clock)
        self.app_side = AppSide()
        self.network = Network(
            self.loop,
            self.app_side,
            account_sid=ACCOUNT,
            voice_url=VOICE_URL,
            status_url=STATUS_URL,
            hotline_number=HOTLINE,
        )
        self.recorder = Recorder(create_rest_app(self.network, auth_token=AUTH_TOKEN))
        self.url = ""

    def enqueue(self, caller_id: str = CHAIR) -> SimCall:
        call = self.network.place_inbound(Listener(), caller_id)
        assert call.queue is self.network.queues[QUEUE]
        return call


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    sim = StandIn()
    with serving(sim.recorder) as url:
        sim.url = url
        yield sim


@pytest.fixture
def settings(stand_in) -> Settings:
    """Overrides conftest's: the `services` fixture is built with these settings."""
    return Settings.load(env=settings_env(TWILIO_API_BASE_URL=stand_in.url))


@pytest.fixture
def telephony(services) -> Telephony:
    return Telephony.from_services(services)


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A local port that is bound but not listening: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


# --- Building it ------------------------------------------------------------------------


def test_built_from_services_points_at_the_base_url(services, stand_in):
    telephony = telephony_for(services)
    assert telephony.base_url == stand_in.url
    assert telephony.account_sid == ACCOUNT
    assert AUTH_TOKEN not in repr(telephony)
    assert (
        telephony.http.rewrite(
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Queues.json?PageSize=5"
        )
        == f"{stand_in.url}/2010-04-01/Accounts/AC1/Queues.json?PageSize=5"
    )


def test_a_base_url_with_a_path_keeps_it(services):
    telephony = Telephony(
        account_sid=ACCOUNT,
        auth_token="x",
        redis=services.store.redis,
        base_url="https://proxy.example.test/twilio/",
    )
    assert telephony.http.rewrite("https://api.twilio.com/2010-04-01/Calls.json") == (
        "https://proxy.example.test/twilio/2010-04-01/Calls.json"
    )


@pytest.mark.parametrize("missing", ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"])
def test_missing_credentials_are_a_config_error(services, missing):
    settings = Settings.load(env=settings_env(**{missing: ""}))
    with pytest.raises(ConfigError, match=missing):
        Telephony.from_settings(settings, services.store.redis)


def test_a_base_url_that_is_not_http_is_a_config_error(services):
    with pytest.raises(ConfigError, match="TWILIO_API_BASE_URL"):
        Telephony(
            account_sid=ACCOUNT,
            auth_token="x",
            redis=services.store.redis,
            base_url="api.twilio.com",
        )


# --- Queues -----------------------------------------------------------------------------


def test_queue_sid_is_looked_up_by_name_and_cached(telephony, stand_in, services):
    stand_in.enqueue()
    sid = stand_in.network.queues[QUEUE].sid
    assert telephony.queue_sid(QUEUE) == sid
    assert services.store.redis.hget(keys.TWILIO_QUEUE_SIDS, QUEUE) == sid
    assert stand_in.recorder.paths() == [f"/2010-04-01/Accounts/{ACCOUNT}/Queues.json"]
    assert telephony.queue_sid(QUEUE) == sid
    assert len(stand_in.recorder.requests) == 1  # the second answer came from Redis


def test_queue_sid_finds_the_queue_among_others(telephony, stand_in):
    for name in ("volunteers", "overflow"):
        stand_in.network.queue(name)
    stand_in.enqueue()
    assert telephony.queue_sid(QUEUE) == stand_in.network.queues[QUEUE].sid


def test_a_queue_nobody_entered_yet_is_not_found(telephony, stand_in, services):
    stand_in.network.queue("volunteers")
    with pytest.raises(QueueNotFound, match="no queue named 'chairs'") as raised:
        telephony.queue_sid(QUEUE)
    assert isinstance(raised.value, CallGone)
    assert services.store.redis.hget(keys.TWILIO_QUEUE_SIDS, QUEUE) is None


# --- Moving queue members ---------------------------------------------------------------


def test_move_queue_member_moves_the_call_to_the_url(telephony, stand_in):
    first, second = stand_in.enqueue(CHAIR), stand_in.enqueue(OTHER_CHAIR)
    queue = stand_in.network.queues[QUEUE]
    telephony.move_queue_member(QUEUE, second.sid, ROOM_URL)
    assert queue.members == [first]
    assert second.queue is None
    assert second.conference is stand_in.network.conferences["room-v1"]
    url, params = stand_in.app_side.posts[-1]
    assert (url, params["CallSid"]) == (ROOM_URL, second.sid)
    method, path, form = stand_in.recorder.requests[-1]
    assert (method, path) == (
        "POST",
        f"/2010-04-01/Accounts/{ACCOUNT}/Queues/{queue.sid}/Members/{second.sid}.json",
    )
    assert form == {"Url": [ROOM_URL], "Method": ["POST"]}
    telephony.move_queue_member(QUEUE, first.sid, ROOM_URL)
    assert queue.members == []


def test_moving_a_caller_who_hung_up_raises_call_gone(telephony, stand_in):
    call = stand_in.enqueue()
    telephony.queue_sid(QUEUE)
    stand_in.network.hang_up(call)
    with pytest.raises(CallGone) as raised:
        telephony.move_queue_member(QUEUE, call.sid, ROOM_URL)
    assert (raised.value.status, raised.value.code) == (404, 20404)
    assert ROOM_URL not in stand_in.app_side.urls()


def test_moving_a_caller_already_moved_raises_call_gone(telephony, stand_in):
    call = stand_in.enqueue()
    telephony.move_queue_member(QUEUE, call.sid, ROOM_URL)
    with pytest.raises(CallGone):
        telephony.move_queue_member(QUEUE, call.sid, ROOM_URL)


def test_a_stale_cached_queue_sid_is_looked_up_again(telephony, stand_in, services):
    call = stand_in.enqueue()
    services.store.redis.hset(keys.TWILIO_QUEUE_SIDS, QUEUE, "QU" + "f" * 32)
    telephony.move_queue_member(QUEUE, call.sid, ROOM_URL)
    assert stand_in.network.queues[QUEUE].members == []
    fresh = stand_in.network.queues[QUEUE].sid
    assert services.store.redis.hget(keys.TWILIO_QUEUE_SIDS, QUEUE) == fresh


def test_moving_out_of_a_queue_that_does_not_exist_is_call_gone(telephony, stand_in):
    with pytest.raises(CallGone):
        telephony.move_queue_member(QUEUE, "CA" + "0" * 32, ROOM_URL)


# --- Calls ------------------------------------------------------------------------------


def test_hang_up_ends_the_call(telephony, stand_in):
    call = stand_in.enqueue()
    telephony.hang_up(call.sid)
    assert call.status == "completed"
    assert stand_in.recorder.requests[-1][2] == {"Status": ["completed"]}
    with pytest.raises(CallGone):
        telephony.hang_up(call.sid)


def test_place_call_returns_the_new_call_sid(telephony, stand_in):
    stand_in.network.callees[CHAIR] = lambda: (Listener(), 3.0)
    sid = telephony.place_call(CHAIR, HOTLINE, CALLBACK_URL, STATUS_URL)
    call = stand_in.network.calls[sid]
    assert (call.direction, call.to, call.from_, call.status_callback) == (
        "outbound-api",
        CHAIR,
        HOTLINE,
        STATUS_URL,
    )
    method, path, form = stand_in.recorder.requests[-1]
    assert (method, path) == ("POST", f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json")
    assert form == {
        "To": [CHAIR],
        "From": [HOTLINE],
        "Url": [CALLBACK_URL],
        "Method": ["POST"],
        "StatusCallback": [STATUS_URL],
        "StatusCallbackMethod": ["POST"],
        "StatusCallbackEvent": ["completed"],
        "Timeout": ["25"],
    }
    stand_in.loop.run(until=stand_in.clock.now() + 3)
    assert call.status == "in-progress"
    assert stand_in.app_side.urls()[-1] == CALLBACK_URL


def test_place_call_passes_the_ring_timeout(telephony, stand_in):
    sid = telephony.place_call(CHAIR, HOTLINE, CALLBACK_URL, STATUS_URL, timeout_s=12)
    assert stand_in.recorder.requests[-1][2]["Timeout"] == ["12"]
    call = stand_in.network.calls[sid]
    stand_in.loop.run(until=stand_in.clock.now() + 12)
    assert call.status == "no-answer"  # nobody answers that number in the simulator


# --- Messages ---------------------------------------------------------------------------


def test_send_sms_records_the_message(telephony, stand_in):
    sid = telephony.send_sms(CHAIR, HOTLINE, "You are next in line.")
    [message] = stand_in.network.messages
    assert sid == message["sid"]
    assert (message["to"], message["from"], message["body"]) == (
        CHAIR,
        HOTLINE,
        "You are next in line.",
    )


def test_another_4xx_is_a_plain_telephony_error(telephony, stand_in):
    with pytest.raises(TelephonyError) as raised:
        telephony.send_sms(CHAIR, HOTLINE, "")
    assert type(raised.value) is TelephonyError
    assert (raised.value.status, raised.value.code) == (400, 21602)


def test_a_text_with_a_status_callback_reports_sent_then_delivered(telephony, stand_in):
    callback = f"{APP_URL}/voice/text-status?rotation=r1&precinct=1001"
    sid = telephony.send_sms(CHAIR, HOTLINE, "Call +15155550200.", status_callback=callback)
    assert stand_in.recorder.requests[-1][2] == {
        "To": [CHAIR],
        "From": [HOTLINE],
        "Body": ["Call +15155550200."],
        "StatusCallback": [callback],
    }
    stand_in.loop.run(until=stand_in.clock.now() + 3)
    receipt = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": ACCOUNT,
        "From": HOTLINE,
        "To": CHAIR,
        "ApiVersion": "2010-04-01",
    }
    assert stand_in.app_side.posts == [
        (callback, {**receipt, "MessageStatus": "sent", "SmsStatus": "sent"}),
        (callback, {**receipt, "MessageStatus": "delivered", "SmsStatus": "delivered"}),
    ]


def test_a_text_to_an_unreachable_phone_is_undelivered_with_twilios_code(telephony, stand_in):
    stand_in.network.unreachable.add(CHAIR)
    telephony.send_sms(CHAIR, HOTLINE, "hi", status_callback=f"{APP_URL}/voice/text-status")
    stand_in.loop.run(until=stand_in.clock.now() + 3)
    last = stand_in.app_side.posts[-1][1]
    assert (last["MessageStatus"], last["ErrorCode"]) == ("undelivered", "30003")


def test_a_text_twilio_refuses_is_a_plain_telephony_error(telephony, stand_in):
    stand_in.network.unsubscribed.add(CHAIR)
    with pytest.raises(TelephonyError) as raised:
        telephony.send_sms(CHAIR, HOTLINE, "hi")
    assert type(raised.value) is TelephonyError
    assert (raised.value.status, raised.value.code) == (400, 21610)
    assert CHAIR not in str(raised.value)  # a phone number in a message is masked
    assert CHAIR[-4:] in str(raised.value)


# --- Phone numbers ----------------------------------------------------------------------


def test_local_numbers_for_sale_in_the_home_state_or_an_area_code(telephony, stand_in):
    in_iowa = telephony.available_local_numbers("US", region="IA")
    assert in_iowa == [f"+1515555020{n}" for n in range(10)] + [
        f"+1319555020{n}" for n in range(10)
    ]
    assert telephony.available_local_numbers("US", area_code="563", limit=3) == [
        "+15635550200",
        "+15635550201",
        "+15635550202",
    ]
    assert telephony.available_local_numbers("US", region="NE") == []
    method, path, _ = stand_in.recorder.requests[-1]
    assert (method, path) == (
        "GET",
        f"/2010-04-01/Accounts/{ACCOUNT}/AvailablePhoneNumbers/US/Local.json",
    )


def test_a_number_bought_takes_calls_at_its_webhooks(telephony, stand_in):
    bought = telephony.buy_number(
        "+15155550203", voice_url=VOICE_URL, status_callback=STATUS_URL, friendly_name="Hotline"
    )
    line = stand_in.network.numbers.owned["+15155550203"]
    assert bought == IncomingNumber(
        sid=line.sid, phone_number="+15155550203", voice_url=VOICE_URL, status_callback=STATUS_URL
    )
    method, path, form = stand_in.recorder.requests[-1]
    assert (method, path) == ("POST", f"/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers.json")
    assert form == {
        "PhoneNumber": ["+15155550203"],
        "FriendlyName": ["Hotline"],
        "VoiceUrl": [VOICE_URL],
        "VoiceMethod": ["POST"],
        "StatusCallback": [STATUS_URL],
        "StatusCallbackMethod": ["POST"],
    }
    assert "+15155550203" not in telephony.available_local_numbers("US", area_code="515")
    call = stand_in.network.place_inbound(Listener(), CHAIR, to="+15155550203")
    url, params = stand_in.app_side.posts[-1]
    assert (url, params["To"], params["From"]) == (VOICE_URL, "+15155550203", CHAIR)
    assert call.status_callback == STATUS_URL


def test_a_number_sold_meanwhile_is_twilios_21422(telephony, stand_in):
    telephony.buy_number(
        "+15155550203", voice_url=VOICE_URL, status_callback=STATUS_URL, friendly_name="Hotline"
    )
    with pytest.raises(TelephonyError) as raised:
        telephony.buy_number(
            "+15155550203", voice_url=VOICE_URL, status_callback=STATUS_URL, friendly_name="Hotline"
        )
    assert (raised.value.status, raised.value.code) == (400, 21422)


def test_owned_numbers_are_found_and_their_webhooks_set(telephony, stand_in):
    hotline = stand_in.network.numbers.owned[HOTLINE]
    assert telephony.owned_numbers() == [
        IncomingNumber(hotline.sid, HOTLINE, VOICE_URL, STATUS_URL)
    ]
    assert telephony.owned_number(HOTLINE) == IncomingNumber(
        hotline.sid, HOTLINE, VOICE_URL, STATUS_URL
    )
    assert telephony.owned_number("+15155550203") is None
    moved = telephony.set_webhooks(
        hotline.sid, voice_url=f"{APP_URL}/elsewhere", status_callback=f"{APP_URL}/elsewhere-status"
    )
    assert moved == IncomingNumber(
        hotline.sid, HOTLINE, f"{APP_URL}/elsewhere", f"{APP_URL}/elsewhere-status"
    )
    assert (hotline.voice_url, hotline.voice_method) == (f"{APP_URL}/elsewhere", "POST")
    with pytest.raises(TelephonyError) as raised:
        telephony.set_webhooks("PN" + "f" * 32, voice_url=VOICE_URL, status_callback=STATUS_URL)
    assert raised.value.status == 404


# --- Failures ---------------------------------------------------------------------------


def test_wrong_credentials_are_not_transient_and_the_token_is_not_logged(
    stand_in, services, caplog
):
    caplog.set_level(logging.DEBUG)
    token = "wrong-token-do-not-log-0123"
    telephony = Telephony(
        account_sid=ACCOUNT, auth_token=token, redis=services.store.redis, base_url=stand_in.url
    )
    with pytest.raises(AccountRefused) as raised:
        telephony.queue_sid(QUEUE)
    assert (raised.value.status, raised.value.code) == (401, 20003)
    assert token not in str(raised.value)
    assert token not in repr(telephony)
    assert caplog.records  # twilio's client and this module did log
    assert token not in caplog.text


def test_our_own_token_is_not_logged_either(telephony, stand_in, caplog):
    caplog.set_level(logging.DEBUG)
    call = stand_in.enqueue()
    telephony.move_queue_member(QUEUE, call.sid, ROOM_URL)
    telephony.send_sms(CHAIR, HOTLINE, "hi")
    assert AUTH_TOKEN not in caplog.text


@pytest.mark.parametrize(("status", "maybe_done"), [(503, True), (500, True), (429, False)])
def test_a_server_error_or_rate_limit_is_transient(telephony, stand_in, status, maybe_done):
    call = stand_in.enqueue()
    stand_in.recorder.fail_with = status
    with pytest.raises(TransientTelephonyError) as raised:
        telephony.hang_up(call.sid)
    assert raised.value.status == status
    assert raised.value.maybe_done is maybe_done
    with pytest.raises(TransientTelephonyError):
        telephony.queue_sid(QUEUE)
    stand_in.recorder.fail_with = None
    telephony.hang_up(call.sid)  # once the stand-in recovers, it works
    assert call.status == "completed"


def test_nothing_listening_is_transient(services, refused_port):
    telephony = Telephony(
        account_sid=ACCOUNT,
        auth_token=AUTH_TOKEN,
        redis=services.store.redis,
        base_url=f"http://127.0.0.1:{refused_port}",
    )
    with pytest.raises(TransientTelephonyError) as raised:
        telephony.move_queue_member(QUEUE, "CA" + "0" * 32, ROOM_URL)
    assert raised.value.status is None
    assert raised.value.maybe_done is False
    with pytest.raises(TransientTelephonyError):
        telephony.send_sms(CHAIR, HOTLINE, "hi")


def test_a_server_that_never_answers_times_out_as_transient(services):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections are accepted by the kernel, and never answered
        telephony = Telephony(
            account_sid=ACCOUNT,
            auth_token=AUTH_TOKEN,
            redis=services.store.redis,
            timeout_s=0.3,
            base_url=f"http://127.0.0.1:{silent.getsockname()[1]}",
        )
        with pytest.raises(TransientTelephonyError, match="timed out") as raised:
            telephony.hang_up("CA" + "0" * 32)
    assert raised.value.maybe_done is True
