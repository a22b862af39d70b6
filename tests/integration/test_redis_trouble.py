"""Webhooks when Redis is gone or stops answering: degrade, never drop.

A chair on hold keeps holding (music or quiet, then the same wait URL again), a new
call hears busy and can redial, a caller mid-step hears "one moment" and the step is
tried again; nothing answers a 5xx. The Redis here is real in the only way a dead one
can be: a port nobody listens on, and a socket that accepts and never answers.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from hotline.app import create_app
from hotline.clock import ManualClock
from hotline.services import Services
from hotline.settings import Settings
from tests.support.env import settings_env
from tests.support.twilio import PUBLIC_URL, signed_post
from tests.support.xml import shape

CALL = {"CallSid": "CA1", "From": "+15155550101", "To": "+15155550000"}
# A hang guard, not a measure: with no Redis timeouts these requests would never end.
HANG_GUARD_S = 30.0


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_redis() -> Iterator[str]:
    """A TCP server that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


@pytest.fixture(params=["gone", "silent"])
def client(request, silent_redis):
    url = f"redis://127.0.0.1:{closed_port()}/0" if request.param == "gone" else silent_redis
    settings = Settings.load(env=settings_env())
    # Building the services reads nothing: the scripts load on first use.
    app = create_app(Services.build(settings, clock=ManualClock(), redis_url=url))
    return app.test_client()


def post(client, path: str, form: dict[str, str], query: dict | None = None):
    """The request, in a thread, so that a hang fails the test instead of the run."""
    answer: list = []
    thread = threading.Thread(target=lambda: answer.append(signed_post(client, path, form,
                                                                       query=query)))
    thread.start()
    thread.join(HANG_GUARD_S)
    assert answer, f"{path} did not answer: no Redis timeout?"
    return answer[0]


def test_a_new_call_hears_busy_never_an_answered_call_that_ends(client):
    response = post(client, "/voice/incoming", CALL)
    assert response.status_code == 200
    assert shape(response.data) == [("Reject", {"reason": "busy"}, "", [])]


def test_a_chair_on_hold_keeps_holding(client):
    """Finding 3: a second of Redis trouble hung up a chair who had held 20 minutes."""
    response = post(client, "/voice/wait", {**CALL, "QueuePosition": "3"},
                    query={"precinct": "1001"})  # fmt: skip
    assert response.status_code == 200
    assert shape(response.data) == [
        ("Pause", {"length": "5"}, "", []),
        ("Redirect", {"method": "POST"}, f"{PUBLIC_URL}/voice/wait?precinct=1001", []),
    ]


def test_a_caller_mid_step_hears_one_moment_and_the_step_is_tried_again(client):
    query = {"precinct": "1001", "how": "keyed-precinct", "tries": "0", "reprompts": "0",
             "step": "1"}  # fmt: skip
    response = post(client, "/voice/pin", {**CALL, "Digits": "482913"}, query=query)
    assert response.status_code == 200
    assert shape(response.data) == [
        ("Say", {"language": "en-US"}, "One moment, please.", []),
        ("Pause", {"length": "5"}, "", []),
        ("Redirect", {"method": "POST"},
         f"{PUBLIC_URL}/voice/pin?precinct=1001&how=keyed-precinct&tries=0&reprompts=0&step=1"
         "&retried=1", []),
    ]  # fmt: skip


def test_a_step_tried_again_too_often_ends_with_the_apology(client):
    query = {"precinct": "1001", "how": "keyed-precinct", "tries": "0", "reprompts": "0",
             "step": "1", "retried": "6"}  # fmt: skip
    response = post(client, "/voice/pin", {**CALL, "Digits": "482913"}, query=query)
    assert [verb for verb, *_ in shape(response.data)] == ["Say", "Hangup"]


def test_a_status_callback_is_acknowledged_with_valid_twiml(client):
    response = post(client, "/voice/status", {**CALL, "CallStatus": "completed"})
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
