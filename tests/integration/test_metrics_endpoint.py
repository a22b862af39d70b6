"""GET /metrics through the Flask test client: behind its bearer token, with exactly what
the webhooks did and what Redis holds.
"""

from __future__ import annotations

import logging

import pytest

from hotline.app import create_app
from hotline.clock import ManualClock
from hotline.services import Services
from hotline.settings import Settings
from tests.support.bad_redis import closed_port, post_or_fail
from tests.support.calls import PhoneCall
from tests.support.env import settings_env
from tests.support.metrics import by_label, series
from tests.support.roster import load_small_roster, pin_of

TOKEN = "metrics-token-0123456789abcdef"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
REGISTERED = "+15155550177"  # precinct 77001's chair phone
TROLL = "+17125550666"


@pytest.fixture
def settings():
    return Settings.load(env=settings_env(HOTLINE_METRICS_TOKEN=TOKEN))


def scrape(client):
    response = client.get("/metrics", headers=BEARER)
    assert response.status_code == 200, response.data
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return series(response.get_data(as_text=True))


def test_without_a_token_configured_metrics_is_not_served(redis_url):
    services = Services.build(
        Settings.load(env=settings_env()), clock=ManualClock(), redis_url=redis_url
    )
    client = create_app(services).test_client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers=BEARER).status_code == 404


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        f"Basic {TOKEN}",
        "Bearer",
        "Bearer wrong-token",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        f"{TOKEN}",
        "Bearer é",
    ],
)
def test_a_scrape_without_the_bearer_token_is_refused(client, header, caplog):
    caplog.set_level(logging.DEBUG)
    headers = {} if header is None else {"Authorization": header}
    response = client.get("/metrics", headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert TOKEN not in response.get_data(as_text=True)
    assert TOKEN not in caplog.text


def test_the_scheme_is_case_insensitive_and_the_token_is_never_logged(client, caplog):
    caplog.set_level(logging.DEBUG)
    response = client.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"})
    assert response.status_code == 200
    assert TOKEN not in caplog.text


def test_a_scrape_carries_exactly_what_the_webhooks_did(client, services, clock):
    load_small_roster(services)
    chair = PhoneCall(client, "CA1", "+15155550101")
    chair.ring()  # challenge
    chair.press("1001")
    chair.press("000000")  # a wrong PIN
    chair.press(pin_of("1001"))  # verified: in line from now
    registered = PhoneCall(client, "CA2", REGISTERED)
    registered.ring()  # fast track
    services.store.blocks.block(TROLL, reason="nuisance", author="vera")
    PhoneCall(client, "CA3", TROLL).ring()  # refused by the block
    unsigned = client.post("/voice/incoming", data={"CallSid": "CA4", "From": TROLL})
    assert unsigned.status_code == 403
    clock.advance(90)

    found = scrape(client)
    scrape(client)  # scrapes are no webhooks: nothing above changes

    assert by_label(found, "hotline_calls_total", "verdict") == {
        "challenge": 1.0,
        "fast-track": 1.0,
        "reject": 1.0,
        "divert": 0.0,
        "temp-block": 0.0,
        "block": 0.0,
    }
    assert by_label(found, "hotline_pin_failures_total", "kind") == {
        "precinct": 1.0,
        "volunteer": 0.0,
    }
    assert by_label(found, "hotline_webhook_duration_seconds_count", "route") == {
        "/voice/incoming": 4.0,
        "/voice/precinct": 1.0,
        "/voice/pin": 2.0,
    }
    assert by_label(found, "hotline_webhook_redis_errors_total", "route") == {}
    assert found[("hotline_redis_up", ())] == 1.0
    assert found[("hotline_line_depth", ())] == 1.0
    assert found[("hotline_line_oldest_wait_seconds", ())] == 90.0
    assert found[("hotline_dispatch_latency_seconds_count", ())] == 0.0
    assert by_label(found, "hotline_job_failures_total", "function") == {}
    assert by_label(found, "hotline_job_retries_total", "function") == {}
    again = scrape(client)
    assert by_label(again, "hotline_webhook_duration_seconds_count", "route") == by_label(
        found, "hotline_webhook_duration_seconds_count", "route"
    )


def test_webhooks_that_hit_redis_errors_are_counted_and_the_scrape_still_answers(settings):
    dead = f"redis://127.0.0.1:{closed_port()}/0"
    client = create_app(Services.build(settings, clock=ManualClock(), redis_url=dead)).test_client()
    call = {"CallSid": "CA1", "From": "+15155550101", "To": "+15155550000"}
    assert post_or_fail(client, "/voice/incoming", call).status_code == 200  # busy
    waiting = post_or_fail(client, "/voice/wait", call, query={"precinct": "1001"})
    assert waiting.status_code == 200  # hold music, then the wait URL again

    found = scrape(client)

    assert by_label(found, "hotline_webhook_redis_errors_total", "route") == {
        "/voice/incoming": 1.0,
        "/voice/wait": 1.0,
    }
    assert found[("hotline_redis_up", ())] == 0.0
    assert set(by_label(found, "hotline_calls_total", "verdict").values()) == {0.0}
    assert [name for name, _ in found if name.startswith("hotline_line")] == []
