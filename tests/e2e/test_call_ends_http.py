"""When a call ends under the volunteer and the chair, over real HTTP against `hotline
serve` and `hotline worker`, the simulated network in real time placing the calls and
serving Twilio's REST API to the worker's dispatch:

- Ann's phone drops while a chair is in her room: the chair, still on the line, is asked
  whether they want a volunteer again, presses 1 and is back in line ahead of a chair who
  called later; the same signed answer sent again once the chair has hung up changes
  nothing.
- A chair hangs up before Ann clicks Save: the status callback frees her, and the form
  she sends afterwards is still stored as that chair's report.
"""

from __future__ import annotations

import re
import time

import pytest
import requests

from hotline.pins import volunteer_pin_digest
from hotline.sim.network import SimCall
from tests.e2e.conftest import HttpClient, log_tail, wait_for
from tests.integration.test_results_console import ADAIR, adair_form
from tests.integration.test_volunteer_drop import BACK_IN_LINE, ROOM_ENDED, Chair
from tests.support.console import PASSWORD, VOLUNTEER_NAME, VOLUNTEER_PHONE, VOLUNTEER_USER
from tests.support.line import place_of
from tests.support.phone_night import Person
from tests.support.roster import load_small_roster
from tests.support.twilio import AUTH_TOKEN, PIN_KEY, PUBLIC_URL, signature

VOLUNTEER_PIN = "246810"
GOODBYE = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Say language="en-US">Thank you for '
    "calling. Goodbye.</Say><Hangup /></Response>"
)
LIMIT_S = 60.0


@pytest.fixture(scope="module")
def stack_env(phones):
    _, rest_url = phones
    return {"HOTLINE_PUBLIC_URL": PUBLIC_URL, "TWILIO_API_BASE_URL": rest_url}


@pytest.fixture
def night(stack, stack_services, phones):
    """The stack's base URL, its services, the network; Ann registered, with a login."""
    sim, _ = phones
    base = f"http://127.0.0.1:{stack.env['HOTLINE_PORT']}"
    sim.transport.connect(base)
    load_small_roster(stack_services)
    stack_services.store.volunteers.add(
        VOLUNTEER_NAME,
        VOLUNTEER_PHONE,
        lambda vid: volunteer_pin_digest(PIN_KEY, vid, VOLUNTEER_PIN),
        author="test",
    )
    stack_services.store.users.add(VOLUNTEER_USER, "volunteer", PASSWORD, author="test")
    yield base, stack_services, sim.network
    for call in list(sim.network.calls.values()):
        sim.network.hang_up(call)


class Browser:
    """A console page's requests over plain HTTP to the stack. Its public URL is https, so
    its cookies are Secure, which an HTTP client keeps to itself: they are sent by hand.
    """

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}

    def get(self, path: str) -> str:
        return self._kept(requests.get(self.base + path, headers=self._headers(), timeout=15)).text

    def post(self, path: str, form: dict[str, str]) -> requests.Response:
        response = requests.post(
            self.base + path, data=form, headers=self._headers(), allow_redirects=False, timeout=15
        )
        return self._kept(response)

    def _headers(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def _kept(self, response: requests.Response) -> requests.Response:
        self.cookies.update(response.cookies.get_dict())
        return response


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def run_until(network, condition, what: str, logs) -> None:
    loop, deadline = network.loop, time.monotonic() + LIMIT_S
    while not condition() and time.monotonic() < deadline:
        loop.run(loop.now() + 0.5)
    assert condition(), f"gave up waiting for {what}\n{log_tail(logs)}"


def put_through(network, stack, chair: Chair, number: str) -> tuple[SimCall, SimCall]:
    """Ann on duty and the chair put through to her by the worker: (chair's call, Ann's)."""
    ann = network.place_inbound(
        Person(VOLUNTEER_PIN), VOLUNTEER_PHONE, voice_url=f"{PUBLIC_URL}/voice/volunteer"
    )
    call = network.place_inbound(chair, number)
    run_until(network, lambda: chair.connected, "the chair put through", stack.logs)
    return call, ann


def test_a_chair_whose_volunteer_drops_goes_back_in_line_over_http(night, stack):
    base, services, network = night
    first, later = Chair("1001"), Chair("1002")
    first_call, ann = put_through(network, stack, first, "+15155550101")
    later_call = network.place_inbound(later, "+15155550102")
    run_until(network, lambda: place_of(services, "1002") == 1, "the later chair", stack.logs)

    network.hang_up(ann)  # Ann's phone drops
    run_until(network, lambda: BACK_IN_LINE in first_call.heard, "back in line", stack.logs)

    assert first_call.live and later_call.live
    assert first_call.heard[first_call.heard.index(ROOM_ENDED) + 1] == BACK_IN_LINE
    assert (place_of(services, "1001"), place_of(services, "1002")) == (1, 2)

    # The chair hangs up; the same signed answer, sent again, puts nobody back.
    network.hang_up(first_call)
    run_until(network, lambda: place_of(services, "1001") is None, "the chair gone", stack.logs)
    url = f"{PUBLIC_URL}/voice/room-ended?precinct=1001&asked=1"
    params = {"CallSid": first_call.sid, "From": "+15155550101", "To": "+15155550000"}
    params["Digits"] = "1"
    replay = HttpClient(base).post(
        url[len(PUBLIC_URL) :], params, {"X-Twilio-Signature": signature(url, params, AUTH_TOKEN)}
    )
    assert (replay.status_code, replay.data.decode()) == (200, GOODBYE)
    assert place_of(services, "1001") is None


def test_the_form_of_a_chair_who_hung_up_before_save_is_stored_over_http(night, stack):
    base, services, network = night
    chair = Chair("1001")
    chair_call, _ = put_through(network, stack, chair, "+15155550101")
    browser = Browser(base)
    token = csrf(browser.get("/console/login"))
    browser.post(
        "/console/login", {"name": VOLUNTEER_USER, "password": PASSWORD, "csrf_token": token}
    )
    console = browser.get("/console/")
    token = csrf(console)
    nonce = re.search(r'name="nonce" value="([^"]+)"', console).group(1)
    assert f'name="call_sid" value="{chair_call.sid}"' in console

    network.hang_up(chair_call)  # before Save; Twilio's status callback frees Ann
    vid = services.store.volunteers.by_phone(VOLUNTEER_PHONE).id
    assert wait_for(lambda: services.store.dispatch.state(vid).status == "available", LIMIT_S)

    form = adair_form(
        token,
        call_sid=chair_call.sid,
        nonce=nonce,
        toss_between="buttigieg,klobuchar",
        toss_winner="klobuchar",
    )
    saved = browser.post("/console/results", form)
    assert saved.status_code == 303, saved.text
    stored = services.store.results.latest("1001")
    assert (stored.version, stored.channel, stored.author) == (1, "volunteer", VOLUNTEER_USER)
    assert (stored.report.attendance, dict(stored.report.final)) == (40, ADAIR)
