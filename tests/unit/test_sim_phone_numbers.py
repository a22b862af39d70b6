"""The simulated account's phone numbers and texts: numbers for sale and bought, where a call
to each number goes, and a text's life (queued, sent, delivered or undelivered) with its
status callbacks and the handset that reads it. The app is a stub that records each post.
"""

from __future__ import annotations

import pytest

from hotline.clock import ManualClock
from hotline.sim.loop import EventLoop
from hotline.sim.network import (
    API_VERSION,
    TEXT_DELIVERED_AFTER_S,
    TEXT_SENT_AFTER_S,
    ApiError,
    Network,
)
from hotline.sim.people import Listener
from hotline.sim.phone_numbers import IOWA, NumberBook, NumberBookError

ACCOUNT = "AC" + "0123456789abcdef" * 2
APP = "https://hotline.example.test"
VOICE_URL = f"{APP}/voice/incoming"
STATUS_URL = f"{APP}/voice/status"
TEXT_STATUS_URL = f"{APP}/voice/text-status?rotation=r1&precinct=1001"
HOTLINE = "+15155550000"
CHAIR = "+15155550101"
PAUSE = '<Response><Pause length="60"/></Response>'


class App:
    def __init__(self) -> None:
        self.posts: list[tuple[float, str, dict[str, str]]] = []
        self.clock: ManualClock | None = None

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        self.posts.append((self.clock.now() if self.clock else 0.0, url, params))
        return 200, PAUSE


@pytest.fixture
def app() -> App:
    return App()


@pytest.fixture
def network(app) -> Network:
    clock = ManualClock()
    app.clock = clock
    return Network(
        EventLoop(clock),
        app,
        account_sid=ACCOUNT,
        voice_url=VOICE_URL,
        status_url=STATUS_URL,
        hotline_number=HOTLINE,
    )


def book() -> NumberBook:
    return NumberBook(lambda: 100.0)


# --- numbers -----------------------------------------------------------------------------


def test_ten_numbers_are_for_sale_in_each_iowa_area_code():
    offered = book().for_sale()
    assert len(offered) == 10 * len(IOWA) == 50
    assert [o.number for o in offered[:3]] == ["+15155550200", "+15155550201", "+15155550202"]
    assert offered[0].friendly_name == "(515) 555-0200"
    assert [o.number for o in book().for_sale(area_code="712")][-1] == "+17125550209"
    assert len(book().for_sale(region="ia")) == 50
    assert book().for_sale(region="NE") == []


def test_a_number_bought_is_owned_and_no_longer_for_sale():
    numbers = book()
    line = numbers.buy(number="+13195550204", voice_url=VOICE_URL, status_callback=STATUS_URL)
    assert (line.number, line.friendly_name, line.voice_url, line.status_callback) == (
        "+13195550204",
        "(319) 555-0204",
        VOICE_URL,
        STATUS_URL,
    )
    assert (line.voice_method, line.created_at, line.updated_at) == ("POST", 100.0, 100.0)
    assert numbers.owned == {"+13195550204": line}
    assert "+13195550204" not in [o.number for o in numbers.for_sale()]
    with pytest.raises(NumberBookError) as refused:
        numbers.buy(number="+13195550204")
    assert (refused.value.status, refused.value.code) == (400, 21422)


def test_buying_by_area_code_takes_the_first_for_sale():
    numbers = book()
    assert numbers.buy(area_code="641").number == "+16415550200"
    assert numbers.buy(area_code="641").number == "+16415550201"
    with pytest.raises(NumberBookError) as refused:
        numbers.buy(area_code="402")
    assert (refused.value.code, refused.value.message) == (
        21452,
        "No phone numbers found in area code 402.",
    )


def test_a_number_is_updated_by_its_sid():
    numbers = book()
    line = numbers.own(HOTLINE)
    assert line.sid == "PN" + "0" * 31 + "1"
    numbers.update(line.sid, voice_url=VOICE_URL, sms_url=None)
    assert line.voice_url == VOICE_URL
    with pytest.raises(NumberBookError) as missing:
        numbers.update("PN" + "f" * 32, voice_url=VOICE_URL)
    assert missing.value.status == 404
    with pytest.raises(TypeError):
        numbers.update(line.sid, sid="PNother")


def test_a_call_to_a_number_goes_to_its_voice_url_and_status_callback(network, app):
    network.numbers.buy(
        number="+15155550200",
        voice_url=f"{APP}/voice/new",
        status_callback=f"{APP}/voice/new-status",
    )
    call = network.place_inbound(Listener(), CHAIR, to="+15155550200")
    _, url, params = app.posts[-1]
    assert (url, params["To"], params["Called"], params["From"]) == (
        f"{APP}/voice/new",
        "+15155550200",
        "+15155550200",
        CHAIR,
    )
    assert (call.to, call.status_callback) == ("+15155550200", f"{APP}/voice/new-status")


def test_the_hotline_number_is_owned_and_answers_as_before(network, app):
    assert network.numbers.owned[HOTLINE].voice_url == VOICE_URL
    call = network.place_inbound(Listener(), CHAIR)
    assert (app.posts[-1][1], call.to, call.status_callback) == (VOICE_URL, HOTLINE, STATUS_URL)


# --- texts -------------------------------------------------------------------------------


def test_a_text_is_sent_then_delivered_and_read_with_its_receipts(network, app):
    read: list[tuple[float, str, str]] = []
    network.handsets[CHAIR] = lambda from_, body: read.append((network.loop.now(), from_, body))
    t0 = network.loop.now()
    message = network.create_message(
        to=CHAIR, from_=HOTLINE, body="Call +15155550200.", status_callback=TEXT_STATUS_URL
    )
    assert message["status"] == "queued"
    network.loop.run(until=t0 + 10)
    receipt = {
        "MessageSid": message["sid"],
        "SmsSid": message["sid"],
        "AccountSid": ACCOUNT,
        "From": HOTLINE,
        "To": CHAIR,
        "ApiVersion": API_VERSION,
    }
    sent_at, delivered_at = t0 + TEXT_SENT_AFTER_S, t0 + TEXT_SENT_AFTER_S + TEXT_DELIVERED_AFTER_S
    assert app.posts == [
        (sent_at, TEXT_STATUS_URL, {**receipt, "MessageStatus": "sent", "SmsStatus": "sent"}),
        (
            delivered_at,
            TEXT_STATUS_URL,
            {**receipt, "MessageStatus": "delivered", "SmsStatus": "delivered"},
        ),
    ]
    assert read == [(delivered_at, HOTLINE, "Call +15155550200.")]
    assert (message["status"], message["error_code"]) == ("delivered", None)


def test_a_text_to_an_unreachable_phone_is_undelivered_and_never_read(network, app):
    read: list[str] = []
    network.handsets[CHAIR] = lambda from_, body: read.append(body)
    network.unreachable.add(CHAIR)
    message = network.create_message(
        to=CHAIR, from_=HOTLINE, body="hi", status_callback=TEXT_STATUS_URL
    )
    network.loop.run(until=network.loop.now() + 10)
    assert [p["MessageStatus"] for _, _, p in app.posts] == ["sent", "undelivered"]
    assert app.posts[-1][2]["ErrorCode"] == "30003"
    assert (message["status"], message["error_code"], read) == ("undelivered", 30003, [])


def test_a_text_without_a_status_callback_posts_nothing(network, app):
    network.create_message(to=CHAIR, from_=HOTLINE, body="hi")
    network.loop.run(until=network.loop.now() + 10)
    assert app.posts == []
    assert network.messages[0]["status"] == "delivered"


def test_twilio_refuses_to_text_a_phone_that_unsubscribed(network):
    network.unsubscribed.add(CHAIR)
    with pytest.raises(ApiError) as refused:
        network.create_message(to=CHAIR, from_=HOTLINE, body="hi")
    assert (refused.value.status, refused.value.code) == (400, 21610)
    assert network.messages == []
