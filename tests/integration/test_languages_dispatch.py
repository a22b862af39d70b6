"""A chair's language goes with the chair, in virtual time on the simulated phone network:
the move into a volunteer's room, the call back that keeps a place in line, the texts
when it fails, and the call back that proves a chair are all in the language the chair's
call was in.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from hotline.sim.jobs import drain
from hotline.sim.network import Reply, SimCall
from hotline.store import keys
from tests.support.line import entry_of
from tests.support.phone_night import VOLUNTEER_LINE, VOLUNTEER_PIN, Person, phone_night
from tests.support.roster import pin_of
from tests.support.twilio import PUBLIC_URL

CHAIR, HOTLINE = "+15155550101", "+15155550000"
SAY_ES = '<Say language="es-US" voice="Polly.Lupe">'
XML = '<?xml version="1.0" encoding="UTF-8"?>'


class Recorder:
    """The simulator's way to the app, keeping each webhook's URL and the TwiML it got."""

    def __init__(self, transport) -> None:
        self.transport = transport
        self.answers: list[tuple[str, str]] = []

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        status, body = self.transport.post(url, params)
        self.answers.append((url, body))
        return status, body

    def to(self, path: str) -> list[tuple[str, str]]:
        return [(url, body) for url, body in self.answers if urlsplit(url).path == path]


@pytest.fixture
def night(redis_url, clock):
    with phone_night(redis_url, clock) as (services, loop, network, flaky):
        recorder = Recorder(network.transport)
        network.transport = recorder
        yield services, loop, network, flaky, recorder


class SpanishChair(Person):
    """Presses 9 at the first prompt, then keys the precinct and the PIN; on hold, presses
    1 for a call back when `call_back`; answers a call back with a key.
    """

    def __init__(self, precinct: str, *, call_back: bool) -> None:
        super().__init__("9", precinct, pin_of(precinct), "2")
        self.call_back = call_back

    def on_gather(self, call: SimCall, heard: list[str], holding: bool) -> Reply:
        if holding:
            return Reply("1", 1.0) if self.call_back else Reply()
        if call.direction == "outbound-api":
            return Reply("5", 2.0)
        return super().on_gather(call, heard, holding)


def volunteer_on_duty(network, loop) -> None:
    network.place_inbound(Person(VOLUNTEER_PIN), "+15155550999", voice_url=VOLUNTEER_LINE)
    loop.run(loop.now() + 30)


def pairing_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["pairing"][0]


def test_a_spanish_chair_is_moved_into_the_volunteers_room_in_spanish(night):
    services, loop, network, _, recorder = night
    network.place_inbound(SpanishChair("1001", call_back=False), CHAIR)
    loop.run(loop.now() + 60)
    assert entry_of(services, "1001")["language"] == "es"
    volunteer_on_duty(network, loop)
    drain(services.queue)
    loop.run(loop.now() + 10)
    [(url, twiml)] = recorder.to("/voice/connect")
    assert url == (
        f"{PUBLIC_URL}/voice/connect?volunteer=v1&precinct=1001&pairing={pairing_of(url)}&lang=es"
    )
    assert twiml == (
        f"{XML}<Response>{SAY_ES}Le comunicamos con un voluntario ahora.</Say>"
        f'<Dial action="{PUBLIC_URL}/voice/room-ended?precinct=1001&amp;lang=es" method="POST">'
        '<Conference beep="false" endConferenceOnExit="false" startConferenceOnEnter="true">'
        "volunteer-v1</Conference></Dial></Response>"
    )


def book_a_spanish_call_back(network, loop, recorder, *, answers: bool) -> SpanishChair:
    chair = SpanishChair("1001", call_back=True)
    network.callees[CHAIR] = lambda: (chair, 6.0 if answers else None)
    call = network.place_inbound(chair, CHAIR)
    loop.run(loop.now() + 120)
    assert call.heard[-1] == (
        "Le llamaremos a su número que termina en 0 1 0 1 cuando haya un voluntario libre. "
        "Conserva su lugar en la fila. Adiós."
    )
    return chair


def test_a_spanish_chair_who_asked_for_a_call_back_is_called_back_in_spanish(night):
    services, loop, network, _, recorder = night
    chair = book_a_spanish_call_back(network, loop, recorder, answers=True)
    entry = entry_of(services, "1001")
    assert (entry["language"], entry["callback"]["attempts"]) == ("es", 0)
    volunteer_on_duty(network, loop)
    drain(services.queue)
    loop.run(loop.now() + 60)
    [(url, twiml)] = recorder.to("/voice/callback-answer")
    pairing = pairing_of(url)
    assert url == (
        f"{PUBLIC_URL}/voice/callback-answer?volunteer=v1&precinct=1001&pairing={pairing}&lang=es"
    )
    assert twiml == (
        f"{XML}<Response>"
        f'<Gather action="{PUBLIC_URL}/voice/connect?volunteer=v1&amp;precinct=1001&amp;'
        f'pairing={pairing}&amp;lang=es" input="dtmf" method="POST" numDigits="1" timeout="8">'
        f"{SAY_ES}Le llama la línea de resultados del caucus por el precinto 1 0 0 1. Oprima "
        "cualquier tecla para hablar con un voluntario.</Say></Gather><Hangup /></Response>"
    )
    [(_, connected)] = recorder.to("/voice/connect")
    assert connected.startswith(
        f"{XML}<Response>{SAY_ES}Le comunicamos con un voluntario ahora.</Say>"
        f'<Dial action="{PUBLIC_URL}/voice/room-ended?precinct=1001&amp;lang=es" method="POST">'
    )
    assert len(chair.connected) == 1


def test_a_spanish_chair_nobody_answers_for_is_texted_in_spanish(night):
    services, loop, network, _, recorder = night
    book_a_spanish_call_back(network, loop, recorder, answers=False)
    volunteer_on_duty(network, loop)
    for _ in range(services.settings.callback_attempts):
        drain(services.queue)  # dispatch: phone the chair
        loop.run(loop.now() + 90)  # it rings out
    drain(services.queue)  # the text message job
    assert {
        urlsplit(url).query.endswith("&lang=es") for url, _ in recorder.to("/voice/callback-status")
    } == {True}
    assert [(m["to"], m["from"], m["body"]) for m in network.messages] == [
        (
            CHAIR,
            HOTLINE,
            "La línea de resultados del caucus no pudo comunicarse con usted por el precinto "
            "1001. Vuelva a llamar al +15155550000 cuando pueda; los presidentes verificados "
            "se atienden primero.",
        )
    ]


def test_a_spanish_chair_twilio_will_not_call_back_is_texted_in_spanish(night):
    services, loop, network, _, recorder = night
    book_a_spanish_call_back(network, loop, recorder, answers=True)
    network.undialable.add(CHAIR)
    volunteer_on_duty(network, loop)
    drain(services.queue)  # the dispatch parks the chair, then the text goes
    [parked] = services.store.redis.hvals(keys.PARKED)
    assert json.loads(parked)["entry"]["language"] == "es"
    assert [(m["to"], m["from"], m["body"]) for m in network.messages] == [
        (
            CHAIR,
            HOTLINE,
            "La línea de resultados del caucus no puede devolverle la llamada por el precinto "
            "1001. Llame al +15155550000 cuando pueda: conserva su lugar en la fila.",
        )
    ]


REGISTERED = "+15155550177"  # precinct 77001's registered chair phone


def test_the_call_back_that_proves_a_spanish_chair_is_in_spanish(night):
    services, loop, network, _, recorder = night
    for _ in range(2):  # a spoofer spends 77001's PIN budget from its own number
        network.place_inbound(Person("000001", "000002", "000003"), REGISTERED)
        loop.run(loop.now() + 90)
    drain(services.queue)  # the spoofer's call back rings out unanswered
    loop.run(loop.now() + 600)  # past the spacing of calls back
    asking = network.place_inbound(Person("9", pin_of("77001")), REGISTERED)
    loop.run(loop.now() + 90)
    assert not asking.live
    assert asking.heard[-1].startswith(
        "Por su seguridad, el precinto 7 7 0 0 1 se confirma en su teléfono registrado"
    )
    network.callees[REGISTERED] = lambda: (Person(pin_of("77001")), 5.0)
    drain(services.queue)
    loop.run(loop.now() + 60)
    url, twiml = recorder.to("/voice/verify-answer")[-1]
    verification = parse_qs(urlsplit(url).query)["verification"][0]
    assert url == f"{PUBLIC_URL}/voice/verify-answer?verification={verification}&lang=es"
    assert twiml == (
        f"{XML}<Response>"
        f'<Gather action="{PUBLIC_URL}/voice/verify-pin?verification={verification}&amp;'
        'tries=0&amp;step=0&amp;lang=es" actionOnEmptyResult="true" finishOnKey="#" '
        'input="dtmf" method="POST" timeout="6">'
        f"{SAY_ES}Le llama la línea de resultados del caucus para confirmar el precinto "
        "7 7 0 0 1. Si usted no acaba de llamar a la línea, cuelgue. Si llamó, marque el PIN "
        "del precinto y luego oprima la tecla numeral.</Say></Gather></Response>"
    )
    # Proved, the chair holds in the line, and the dispatch speaks Spanish to them too.
    assert entry_of(services, "77001")["language"] == "es"
