"""The inbound benchmark compares like with like: its bare route answers, byte for byte,
what the real /voice/incoming answers an unknown caller (the challenge). Should a prompt
or the challenge change, this fails before the benchmark measures two different answers.
"""

from __future__ import annotations

from tests.bench.apps import bare_app, triage_app
from tests.support.twilio import AUTH_TOKEN, PUBLIC_URL, SECRET_KEY, signed_post

UNKNOWN_CALLER = {
    "CallSid": "CA" + "7" * 32,
    "AccountSid": "AC" + "0" * 32,
    "From": "+13195552468",
    "To": "+15155550000",
    "CallStatus": "ringing",
    "Direction": "inbound",
}


def test_the_bare_route_answers_what_the_inbound_webhook_answers_an_unknown_caller(
    services, redis_url, tmp_path
):
    # `services`: the tests' Redis, flushed, so no flood or block of another test is in force.
    env = {
        "REDIS_URL": redis_url,
        "HOTLINE_DATA_DIR": str(tmp_path),
        "HOTLINE_PUBLIC_URL": PUBLIC_URL,
        "HOTLINE_SECRET_KEY": SECRET_KEY,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    }
    real = signed_post(triage_app(env).test_client(), "/voice/incoming", UNKNOWN_CALLER)
    bare = signed_post(bare_app(env).test_client(), "/voice/incoming", UNKNOWN_CALLER)
    assert real.status_code == bare.status_code == 200
    assert real.data == bare.data
