"""Every webhook has a time limit on its Redis work, so it answers well inside Twilio's
15 seconds even when Redis is slow rather than gone.

A socket timeout bounds one command; a Redis that answers each command just inside it
would still hold a webhook for the sum. Here the Redis is real, behind a proxy that
delays every reply, and the per-command timeouts are far longer than the delays: only
the webhook's budget can turn the answer into the degraded one.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
import redis

from hotline.app import create_app
from hotline.clock import ManualClock
from hotline.services import Services
from hotline.settings import Settings
from hotline.store import deadline
from tests.support.bad_redis import post_or_fail, silent_server, slow_proxy
from tests.support.env import settings_env
from tests.support.twilio import PUBLIC_URL
from tests.support.xml import shape

CALL = {"CallSid": "CA1", "From": "+15155550101", "To": "+15155550000"}
# Each reply from the slow Redis comes this long after the command; the webhook's budget
# is two replies' worth, and a hold webhook needs four round trips.
REPLY_DELAY_S = 0.25
BUDGET_S = 0.5
# Far beyond anything here: the per-command timeouts never fire.
PATIENT_TIMEOUT_S = 30.0
HOLD = {**CALL, "QueuePosition": "3"}
HOLD_QUERY = {"precinct": "1001"}
KEEP_HOLDING = [
    ("Pause", {"length": "5"}, "", []),
    ("Redirect", {"method": "POST"}, f"{PUBLIC_URL}/voice/wait?precinct=1001", []),
]


def _client_of(url: str, budget_s: float):
    """An app on `url` whose Redis commands would each wait PATIENT_TIMEOUT_S."""
    settings = replace(
        Settings.load(env=settings_env()),
        redis_connect_timeout_s=PATIENT_TIMEOUT_S,
        redis_read_timeout_s=PATIENT_TIMEOUT_S,
        webhook_redis_budget_s=budget_s,
    )
    services = Services.build(settings, clock=ManualClock(), redis_url=url)
    return create_app(services).test_client(), services


@pytest.mark.parametrize(
    "budget_s, answer_is_degraded", [(BUDGET_S, True), (PATIENT_TIMEOUT_S, False)]
)
def test_a_slow_redis_holds_a_webhook_no_longer_than_its_budget(
    services, budget_s, answer_is_degraded
):
    """Four round trips of REPLY_DELAY_S: past a budget of two, the chair keeps holding
    on the degraded answer; with budget enough (the control) the answer is the usual one.
    """
    with slow_proxy(services.redis_url, REPLY_DELAY_S) as url:
        client, _ = _client_of(url, budget_s)
        response = post_or_fail(client, "/voice/wait", HOLD, query=HOLD_QUERY)
    assert response.status_code == 200
    assert (shape(response.data) == KEEP_HOLDING) is answer_is_degraded


def test_a_silent_redis_is_given_up_on_at_the_budget_not_the_socket_timeout():
    with silent_server() as url:
        client, _ = _client_of(url, BUDGET_S)
        response = post_or_fail(client, "/voice/incoming", CALL)
    assert shape(response.data) == [("Reject", {"reason": "busy"}, "", [])]


def test_the_budget_belongs_to_one_request_and_ends_with_it(services):
    """A spent budget leaves nothing behind: the next request, and work outside any
    request (jobs, the command line), talk to Redis as usual.
    """
    client, built = _client_of(services.redis_url, BUDGET_S)
    for sid in ("CA1", "CA2"):
        assert signed_ok(client, {**CALL, "CallSid": sid})
    assert built.store.redis.ping()


def test_a_command_after_the_budget_fails_at_once_with_redis_own_timeout(services):
    token = deadline.start(0.0)
    try:
        with pytest.raises(redis.exceptions.TimeoutError):
            services.store.redis.get("anything")
    finally:
        deadline.end(token)
    assert services.store.redis.get("anything") is None


def signed_ok(client, form) -> bool:
    response = post_or_fail(client, "/voice/incoming", form)
    return [verb for verb, *_ in shape(response.data)] == ["Gather"]
