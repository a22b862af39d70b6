"""/metrics scraped over real HTTP from `hotline serve` (gunicorn, two web workers, the
production config) while `hotline worker` runs: signed webhooks from many connections,
which the two workers share as the kernel hands them out, and a dispatch through the
simulator's stand-in for Twilio's REST API. Every figure is exact: the calls by verdict
are the calls made, each route's count is the requests sent to it, whichever worker
served them and whichever answers the scrape. And every line both processes wrote is
JSON, with numbers masked.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hotline.pins import volunteer_backup_digest, volunteer_pin_digest
from tests.e2e.conftest import JOB_LIMIT_S, HttpClient, log_tail, wait_for, worker_idle
from tests.support.calls import PhoneCall
from tests.support.metrics import by_label, series
from tests.support.phone_night import Person
from tests.support.roster import load_small_roster, pin_of
from tests.support.twilio import AUTH_TOKEN, PIN_KEY, PUBLIC_URL, signed_post

TOKEN = "e2e-metrics-token-0123456789abcdef"
VOLUNTEER_PHONE, VOLUNTEER_PIN = "+15155550999", "246810"
CHAIR_PHONE = "+15155550123"  # not the chair's registered phone: challenged
REGISTERED = "+15155550177"  # precinct 77001's chair phone: fast track
BLOCKED = "+17125550666"
UNKNOWN = [f"+1641555{n:04d}" for n in range(12)]
CONNECT_LIMIT_S = 60.0


@pytest.fixture(scope="module")
def stack_env(phones):
    _, rest_url = phones
    return {
        "HOTLINE_METRICS_TOKEN": TOKEN,
        "HOTLINE_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_API_BASE_URL": rest_url,
        "WEB_CONCURRENCY": "2",
    }


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def served_by_both(client: HttpClient, metrics_dir: Path) -> bool:
    """Whether both web workers have timed a webhook; if not, one more on a new connection."""
    if len(list(metrics_dir.glob("web-*/histogram_*.db"))) == 2:
        return True
    sid = f"CA{'f' * 24}{len(client.paths):08x}"  # no call made here has such a sid
    answer = signed_post(client, "/voice/status", {"CallSid": sid, "CallStatus": "ringing"})
    assert answer.status_code == 200
    return False


def log_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_scrape_over_http_counts_every_webhook_and_the_dispatch_exactly(
    stack, stack_services, phones
):
    services = stack_services
    (sim, _) = phones
    base = f"http://127.0.0.1:{stack.env['HOTLINE_PORT']}"
    sim.transport.connect(base)
    load_small_roster(services)
    services.store.volunteers.add(
        "Ann",
        VOLUNTEER_PHONE,
        lambda vid: volunteer_pin_digest(PIN_KEY, vid, VOLUNTEER_PIN),
        backup_digest=lambda vid: volunteer_backup_digest(PIN_KEY, vid, "13579246"),
        author="test",
    )
    services.store.blocks.block(BLOCKED, reason="nuisance", author="vera")
    client = HttpClient(base)

    # Signed webhooks, a dozen at a time: twelve unknown numbers, the registered chair
    # phone, a blocked number; one of them keys a precinct and two wrong PINs.
    callers = [(f"CA{n:032d}", number) for n, number in enumerate(UNKNOWN + [REGISTERED])]
    with ThreadPoolExecutor(max_workers=12) as pool:
        list(pool.map(lambda c: PhoneCall(client, *c).ring(), callers))
    assert PhoneCall(client, "CA" + "b" * 32, BLOCKED).ring().data.count(b"<Reject") == 1
    guesser = PhoneCall(client, "CA" + "c" * 32, UNKNOWN[0])
    guesser.ring()
    guesser.press("1001")
    guesser.press("000000")
    guesser.press("111111")
    unsigned = client.post("/voice/incoming", {"CallSid": "CA1", "From": BLOCKED}, {})
    assert unsigned.status_code == 403

    # A volunteer on duty, and a chair put through to them by the worker's dispatch.
    volunteer = Person(VOLUNTEER_PIN)
    chair = Person("1002", pin_of("1002"), "2")
    loop = sim.network.loop
    sim.network.place_inbound(volunteer, VOLUNTEER_PHONE, voice_url=f"{PUBLIC_URL}/voice/volunteer")
    chair_call = sim.network.place_inbound(chair, CHAIR_PHONE)
    deadline = time.monotonic() + CONNECT_LIMIT_S
    while not chair.connected and time.monotonic() < deadline:
        loop.run(loop.now() + 1.0)
    assert chair.connected == [chair_call.sid], f"{chair_call.heard}\n{log_tail(stack.logs)}"
    assert wait_for(lambda: worker_idle(services), JOB_LIMIT_S)
    # The kernel may have handed every connection so far to one web worker (the other
    # still booting, or slower to wake): status callbacks for calls Hotline never
    # answered (ignored, but timed) until both have served webhooks.
    metrics_dir = Path(stack.env["HOTLINE_DATA_DIR"]) / "metrics"
    assert wait_for(lambda: served_by_both(client, metrics_dir), CONNECT_LIMIT_S)

    status, headers, text = get(f"{base}/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200
    assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    found = series(text)

    # Calls by verdict: exactly the calls made, across both web workers.
    assert by_label(found, "hotline_calls_total", "verdict") == {
        "challenge": 14.0,  # the twelve, the guesser's second call, the network's chair
        "fast-track": 1.0,
        "reject": 1.0,
        "divert": 0.0,
        "temp-block": 0.0,
        "block": 0.0,
    }
    assert by_label(found, "hotline_pin_failures_total", "kind") == {
        "precinct": 2.0,
        "volunteer": 0.0,
    }
    # Each route's count is the requests sent to it, by this test and by the network.
    sent = Counter(client.paths + sim.transport.paths)
    assert by_label(found, "hotline_webhook_duration_seconds_count", "route") == {
        path: float(count) for path, count in sent.items()
    }
    assert {"/voice/wait", "/voice/connect", "/voice/volunteer-pin"} <= set(sent)
    # The dispatch: one move, timed by the worker, read from Redis.
    assert found[("hotline_dispatch_latency_seconds_count", ())] == 1.0
    assert 0.0 < found[("hotline_dispatch_latency_seconds_sum", ())] < CONNECT_LIMIT_S
    assert by_label(found, "hotline_job_failures_total", "function") == {}
    assert by_label(found, "hotline_job_retries_total", "function") == {}
    assert (found[("hotline_redis_up", ())], found[("hotline_line_depth", ())]) == (1.0, 0.0)
    assert by_label(found, "hotline_webhook_redis_errors_total", "route") == {}

    # Whichever web worker answers a scrape, the figures are the same.
    for _ in range(6):
        again = series(get(f"{base}/metrics", {"Authorization": f"Bearer {TOKEN}"})[2])
        assert by_label(again, "hotline_webhook_duration_seconds_count", "route") == by_label(
            found, "hotline_webhook_duration_seconds_count", "route"
        )
    # Both web workers served webhooks: each kept its timings in a file of its own.
    [web] = list(metrics_dir.iterdir())
    assert len(list(web.glob("histogram_*.db"))) == 2

    # Without the token, nothing.
    status, headers, text = get(f"{base}/metrics", {"Authorization": "Bearer guess"})
    assert (status, headers["WWW-Authenticate"]) == (401, 'Bearer realm="metrics"')
    assert "hotline_" not in text

    # Every line the two processes wrote is JSON; the dispatch's lines name the chair's
    # call; no number appears whole.
    serve, worker = log_lines(stack.logs / "serve.log"), log_lines(stack.logs / "worker.log")
    assert all({"time", "level", "logger", "message"} <= set(line) for line in serve + worker)
    moved = [line for line in worker if line["message"].startswith(f"moved {chair_call.sid}")]
    assert [line["call_sid"] for line in moved] == [chair_call.sid]
    everything = "\n".join(path.read_text() for path in stack.logs.glob("*.log"))
    for number in (*UNKNOWN, REGISTERED, BLOCKED, CHAIR_PHONE, VOLUNTEER_PHONE):
        assert number not in everything
    for secret in (TOKEN, AUTH_TOKEN, VOLUNTEER_PIN, pin_of("1002")):
        assert secret not in everything
