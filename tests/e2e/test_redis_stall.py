"""End to end over real HTTP, with Redis stalled: a chair's keypad step reaches `hotline
serve` while Redis is stopped (SIGSTOP), as a Redis busy with a slow command, swapping or
paused by its host would be.

The step's first command (taking the step, lua/take_step.lua) is sent and the webhook's
time limit runs out waiting for its reply: the chair hears "One moment, please." and Twilio
is told to try the same URL again, marked `retried`. When Redis resumes it runs the command
it had already read, so the step is taken although the web process never heard so. The
retry must then run the step (the chair is asked for the PIN), not refuse it as a replay,
which would end the call with Twilio's application error. The same request without the
mark, as a troll would replay it, still gets 409.

This module runs on a Redis of its own, so that stopping it stalls no other test.
"""

from __future__ import annotations

import os
import signal

import pytest

from hotline.store import keys
from tests.e2e.conftest import wait_for
from tests.support.roster import load_small_roster
from tests.support.twilio import call_form
from tests.support.twilio import post_over_http as post
from tests.support.xml import shape

CHAIR_PHONE = "+15155559876"  # no registered chair's: the chair keys the precinct
CALL_SID = "CA" + "5" * 32
ONE_MOMENT = "One moment, please."


@pytest.fixture(scope="module")
def redis_url(own_redis_server) -> str:
    """Overrides the session's (tests/conftest.py): this module's stack runs on it."""
    return own_redis_server.url


@pytest.fixture
def services(stack_services):
    load_small_roster(stack_services)
    return stack_services


def call_params(**extra: str) -> dict[str, str]:
    return call_form(CALL_SID, CHAIR_PHONE, **extra)


def test_a_step_stalled_in_redis_runs_on_its_retry_and_a_replay_is_refused(
    stack, services, own_redis_server
):
    status, body, _ = post(f"{stack.public_url}/voice/incoming", call_params())
    assert status == 200
    precinct_step = shape(body)[0][1]["action"]
    assert "/voice/precinct?" in precinct_step and "step=0" in precinct_step

    # Every web worker has a connection and the step's script already, as on a night under
    # way (else a new connection's handshake, or the script's loading, is what stalls).
    for n in range(12):
        other = call_params(CallSid=f"CA{n:032d}", From=f"+1319555{2000 + n}")
        _, answer, _ = post(f"{stack.public_url}/voice/incoming", other)
        post(shape(answer)[0][1]["action"], {**other, "Digits": "1001"})
    redis_pid = int(own_redis_server.pid_path.read_text())
    os.kill(redis_pid, signal.SIGSTOP)
    try:
        status, body, took = post(precinct_step, call_params(Digits="1001"))
    finally:
        os.kill(redis_pid, signal.SIGCONT)
    # Answered well inside Twilio's 15 s, with the apology and the retry of this very step.
    assert status == 200
    assert took < 5.0
    answer = shape(body)
    assert [verb[0] for verb in answer] == ["Say", "Pause", "Redirect"]
    assert answer[0][2] == ONE_MOMENT
    retry = answer[2][2]
    assert retry == f"{precinct_step}&retried=1"

    # Redis, resumed, ran the command it had read: the step was taken after all.
    redis = services.store.redis
    assert wait_for(lambda: redis.hget(keys.call(CALL_SID), "step") == "1", 5.0)

    status, body, _ = post(retry, call_params(Digits="1001"))
    assert status == 200
    pin_step = shape(body)[0][1]["action"]
    assert "/voice/pin?precinct=1001" in pin_step and "step=1" in pin_step
    assert redis.hget(keys.call(CALL_SID), "step") == "1"  # taken once

    status, _, _ = post(precinct_step, call_params(Digits="1001"))
    assert status == 409  # the step replayed without the mark
