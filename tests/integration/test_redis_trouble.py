"""Webhooks when Redis is gone or stops answering: degrade, never drop.

A chair on hold keeps holding (music or quiet, then the same wait URL again), a new
call hears busy and can redial, a caller mid-step hears "one moment" and the step is
tried again; nothing answers a 5xx. The Redis here is real in the only way a dead one
can be: a port nobody listens on, and a socket that accepts and never answers
(tests/support/bad_redis.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hotline.app import create_app
from hotline.clock import ManualClock
from hotline.services import Services
from hotline.settings import Settings
from tests.support.bad_redis import closed_port, post_or_fail, silent_server
from tests.support.console import login
from tests.support.env import settings_env
from tests.support.twilio import PUBLIC_URL
from tests.support.xml import shape

CALL = {"CallSid": "CA1", "From": "+15155550101", "To": "+15155550000"}


@pytest.fixture
def silent_redis() -> Iterator[str]:
    with silent_server() as url:
        yield url


@pytest.fixture(params=["gone", "silent"])
def client(request, silent_redis):
    url = f"redis://127.0.0.1:{closed_port()}/0" if request.param == "gone" else silent_redis
    settings = Settings.load(env=settings_env())
    # Building the services reads nothing: the scripts load on first use.
    app = create_app(Services.build(settings, clock=ManualClock(), redis_url=url))
    return app.test_client()


def test_a_new_call_hears_busy_never_an_answered_call_that_ends(client):
    response = post_or_fail(client, "/voice/incoming", CALL)
    assert response.status_code == 200
    assert shape(response.data) == [("Reject", {"reason": "busy"}, "", [])]


def test_a_chair_on_hold_keeps_holding(client):
    """Finding 3: a second of Redis trouble hung up a chair who had held 20 minutes."""
    response = post_or_fail(
        client, "/voice/wait", {**CALL, "QueuePosition": "3"}, query={"precinct": "1001"}
    )
    assert response.status_code == 200
    assert shape(response.data) == [
        ("Pause", {"length": "5"}, "", []),
        ("Redirect", {"method": "POST"}, f"{PUBLIC_URL}/voice/wait?precinct=1001", []),
    ]


def test_a_caller_mid_step_hears_one_moment_and_the_step_is_tried_again(client):
    query = {
        "precinct": "1001",
        "how": "keyed-precinct",
        "tries": "0",
        "reprompts": "0",
        "step": "1",
    }
    response = post_or_fail(client, "/voice/pin", {**CALL, "Digits": "482913"}, query=query)
    assert response.status_code == 200
    assert shape(response.data) == [
        ("Say", {"language": "en-US"}, "One moment, please.", []),
        ("Pause", {"length": "5"}, "", []),
        (
            "Redirect",
            {"method": "POST"},
            f"{PUBLIC_URL}/voice/pin?precinct=1001&how=keyed-precinct&tries=0&reprompts=0&step=1"
            "&retried=1",
            [],
        ),
    ]


def test_a_step_tried_again_too_often_ends_with_the_apology(client):
    query = {
        "precinct": "1001",
        "how": "keyed-precinct",
        "tries": "0",
        "reprompts": "0",
        "step": "1",
        "retried": "6",
    }
    response = post_or_fail(client, "/voice/pin", {**CALL, "Digits": "482913"}, query=query)
    assert [verb for verb, *_ in shape(response.data)] == ["Say", "Hangup"]


def test_a_status_callback_is_acknowledged_with_valid_twiml(client):
    response = post_or_fail(client, "/voice/status", {**CALL, "CallStatus": "completed"})
    assert response.status_code == 200
    assert response.mimetype == "text/xml"


def test_the_console_says_redis_is_not_answering_with_a_503_not_a_server_error(client):
    """Found by the night under fire: while Redis restarted, console pages answered 500."""
    response = login(client, "vera", "a-long-enough-password")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.get_data(as_text=True) == (
        "The hotline's database is not answering right now (it may be restarting). "
        "Try again in a few seconds."
    )
