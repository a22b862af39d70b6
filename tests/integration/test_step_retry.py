"""A step tried again after Redis failed mid-step: the retry runs the step, a replay does
not.

When Redis fails after a step was taken (lua/take_step.lua) but before its answer was
made, the caller hears "one moment" and Twilio requests the same URL marked `retried`.
That retry must run the step: refusing it (409) would end the chair's call with Twilio's
application error. A request for the step without the mark is still a replay.
"""

from __future__ import annotations

import pytest

from hotline.store import keys
from tests.support.calls import PhoneCall
from tests.support.roster import load_small_roster
from tests.support.twilio import PUBLIC_URL, post_to_url
from tests.support.xml import shape

CHAIR = "+15155550101"
PIN_STEP = f"{PUBLIC_URL}/voice/pin?precinct=1001&how=keyed-precinct&tries=0&reprompts=0&step=1"


@pytest.fixture(autouse=True)
def roster(services):
    load_small_roster(services)


def precinct_step_taken_then_redis_failed(client, services) -> tuple[PhoneCall, str]:
    call = PhoneCall(client, "CA200", CHAIR)
    call.ring()
    action = call.gather_action()
    # The step's first request took it; Redis failed before the answer was made.
    assert services.store.calls.take_step("CA200", 0) == "ok"
    return call, action


def test_the_retry_of_a_step_taken_before_a_failure_runs_the_step(client, services):
    call, action = precinct_step_taken_then_redis_failed(client, services)
    retried = post_to_url(client, f"{action}&retried=1", {**call.params, "Digits": "1001"})
    assert retried.status_code == 200
    assert shape(retried.data)[0][1]["action"] == PIN_STEP  # asked for the PIN, as normal
    assert services.store.redis.hget(keys.call("CA200"), "step") == "1"  # not taken twice


def test_the_same_step_without_the_retry_mark_is_still_a_replay(client, services):
    call, action = precinct_step_taken_then_redis_failed(client, services)
    replayed = post_to_url(client, action, {**call.params, "Digits": "1001"})
    assert replayed.status_code == 409


def test_a_retry_of_a_step_the_call_has_moved_past_is_a_replay(client, services):
    call, action = precinct_step_taken_then_redis_failed(client, services)
    post_to_url(client, f"{action}&retried=1", {**call.params, "Digits": "1001"})
    pin = post_to_url(client, PIN_STEP, {**call.params, "Digits": "000000"})
    assert pin.status_code == 200  # the chair answered the next step
    again = post_to_url(client, f"{action}&retried=1", {**call.params, "Digits": "1001"})
    assert again.status_code == 409
    assert services.store.redis.hget(keys.call("CA200"), "step") == "2"
