"""The attacks of issue 7, tried again from outside: signed requests over real HTTP to
`hotline serve` and `hotline worker` as processes, as a troll with a SIP account would
send them. Each fails.
"""

from __future__ import annotations

import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest

from hotline.services import Services
from hotline.sim.transport import HttpTransport
from hotline.store import keys
from tests.support.roster import backup_code_of, load_small_roster, pin_of
from tests.support.twilio import AUTH_TOKEN

REGISTERED = "+15155550177"  # precinct 77001's registered chair phone
HOTLINE = "+15155550000"


@pytest.fixture
def services(stack_services) -> Services:
    load_small_roster(stack_services)
    return stack_services


@pytest.fixture
def transport() -> Iterator[HttpTransport]:
    built = HttpTransport(AUTH_TOKEN)
    yield built
    built.close()


class Caller:
    """One call, driven by hand: each answer's <Gather> action gets the next keys."""

    def __init__(
        self, transport: HttpTransport, base: str, sid: str, number: str, **extra: str
    ) -> None:
        self.transport, self.base = transport, base
        self.params = {
            "CallSid": sid,
            "From": number,
            "To": HOTLINE,
            "CallStatus": "ringing",
            **extra,
        }
        self.answers: list[ET.Element] = []

    def post(self, url: str, **extra: str) -> tuple[int, str]:
        return self.transport.post(url, {**self.params, **extra})

    def ring(self, path: str = "/voice/incoming") -> ET.Element:
        return self._keep(self.post(self.base + path))

    def press(self, digits: str) -> ET.Element:
        return self._keep(self.post(self.action(), Digits=digits))

    def action(self) -> str:
        gather = self.answers[-1].find("Gather")
        assert gather is not None, ET.tostring(self.answers[-1])
        return gather.get("action")

    def said(self) -> str:
        return " ".join(say.text or "" for say in self.answers[-1].iter("Say"))

    def end(self) -> None:
        status, _ = self.post(self.base + "/voice/status", CallStatus="completed")
        assert status == 200

    def _keep(self, answer: tuple[int, str]) -> ET.Element:
        status, body = answer
        assert status == 200, (status, body)
        self.answers.append(ET.fromstring(body))
        return self.answers[-1]


def guesses(caller: Caller, keys_: tuple[str, ...]) -> None:
    for digits in keys_:
        if caller.answers[-1].find("Gather") is None:
            return
        caller.press(digits)


def test_a_spoofed_chair_number_gets_five_checks_and_is_never_blocked(services, stack, transport):
    for n in range(10):
        troll = Caller(transport, stack.public_url, f"CATROLL{n}", REGISTERED)
        troll.ring()
        guesses(troll, ("000001", "000002", "000003"))
        troll.end()
    redis = services.store.redis
    assert redis.zcard(keys.precinct_pin_failures("77001")) == 5
    assert services.store.blocks.get(REGISTERED) is None
    chair = Caller(transport, stack.public_url, "CACHAIR", REGISTERED)
    chair.ring()
    chair.press(pin_of("77001"))
    assert "backup code" in chair.said()  # the right PIN alone is not enough now
    chair.press(backup_code_of("77001"))
    chair.press("2")  # a volunteer, not the keypad
    assert [verb.tag for verb in chair.answers[-1]] == ["Say", "Enqueue"]


def test_a_replayed_pin_request_is_refused_and_changes_nothing(services, stack, transport):
    chair = Caller(transport, stack.public_url, "CAREPLAY", "+15155550101")
    chair.ring()
    chair.press("1001")
    pin_url = chair.action()
    chair.press(pin_of("1001"))
    chair.end()
    assert services.store.line.size() == 0
    status, _ = chair.post(pin_url, Digits=pin_of("1001"))
    assert status == 409
    assert services.store.line.size() == 0


def test_a_volunteer_number_spoofed_on_the_volunteer_line_is_budgeted(services, stack, transport):
    services.store.volunteers.add("Ann", "+15155550999", lambda _vid: "0" * 64, author="test")
    for n in range(8):
        troll = Caller(transport, stack.public_url, f"CAVOL{n}", "+15155550999")
        troll.ring("/voice/volunteer")
        guesses(troll, ("111111", "222222", "333333"))
        troll.end()
    assert services.store.redis.zcard(keys.volunteer_pin_failures("v1")) == 5
    assert services.store.blocks.get("+15155550999") is None


@pytest.mark.parametrize(
    "path", ["/voice/incoming", "/voice/connect", "/voice/verify-pin", "/voice/no-such-route"]
)
def test_unsigned_and_oddly_signed_requests_are_a_plain_403(stack, path):
    for headers in ({}, {"X-Twilio-Signature": "sïgnature"}):
        request = urllib.request.Request(
            stack.public_url + path, data=b"CallSid=CA1", headers=headers, method="POST"
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 403
