"""A volunteer's phone drops (or they hang up) while a chair is in their room: the room
ends, and the chair, still on the line, is asked whether they want a volunteer again
rather than being hung up on. 1 puts them back in line at the place of their arrival,
ahead of chairs who called after them. In virtual time, on the simulated phone network
(which follows Twilio's <Dial action> when a conference ends under a call).
"""

from __future__ import annotations

import pytest

from hotline.sim.jobs import drain
from hotline.sim.network import Reply, SimCall
from tests.support.line import place_of
from tests.support.phone_night import VOLUNTEER_LINE, VOLUNTEER_PIN, Person, phone_night
from tests.support.roster import pin_of
from tests.support.twilio import PUBLIC_URL, signed_post

CHAIR = "+15155550101"
XML = '<?xml version="1.0" encoding="UTF-8"?>'

ROOM_ENDED = (
    "Your call with the volunteer has ended. To speak to a volunteer again, press 1. "
    "Otherwise, you may hang up."
)
BACK_IN_LINE = (
    "You are back in line, ahead of everyone who called after you. "
    "Please hold for the next volunteer."
)


@pytest.fixture
def night(redis_url, clock):
    with phone_night(redis_url, clock) as (services, loop, network, _):
        yield services, loop, network


class Chair(Person):
    """Keys the precinct and the PIN, asks for a volunteer (2), and answers the question
    after a room has ended with `choice` (None: silence).
    """

    def __init__(self, precinct: str, choice: str | None = "1") -> None:
        super().__init__(precinct, pin_of(precinct), "2")
        self.choice = choice

    def on_gather(self, call: SimCall, heard: list[str], holding: bool) -> Reply:
        if ROOM_ENDED in heard:
            return Reply(self.choice, 1.0) if self.choice else Reply()
        return super().on_gather(call, heard, holding)


def on_duty(network, loop) -> SimCall:
    """Ann calls the volunteer line and keys her PIN: she waits in her room."""
    call = network.place_inbound(Person(VOLUNTEER_PIN), "+15155550999", voice_url=VOLUNTEER_LINE)
    loop.run(loop.now() + 30)
    return call


def put_through(services, loop, network, chair: Chair) -> tuple[SimCall, SimCall]:
    """The chair calls, waits, and is put through to Ann: (the chair's call, Ann's)."""
    call = network.place_inbound(chair, CHAIR)
    loop.run(loop.now() + 60)
    volunteer = on_duty(network, loop)
    drain(services.queue)
    loop.run(loop.now() + 10)
    assert chair.connected == [call.sid]
    return call, volunteer


def test_the_chair_whose_volunteer_drops_is_asked_and_goes_back_to_the_front(night):
    services, loop, network = night
    first_call, volunteer = put_through(services, loop, network, Chair("1001"))
    # Another chair calls while the first talks, and waits.
    later = network.place_inbound(Chair("1002"), "+15155550102")
    loop.run(loop.now() + 60)
    assert place_of(services, "1002") == 1

    network.hang_up(volunteer)  # Ann's phone drops
    loop.run(loop.now() + 30)
    drain(services.queue)

    assert first_call.live
    asked = first_call.heard.index(ROOM_ENDED)
    assert first_call.heard[asked + 1] == BACK_IN_LINE  # then the wait URL's words
    assert (place_of(services, "1001"), place_of(services, "1002")) == (1, 2)
    entry = next(c for c in services.store.line.waiting(limit=10) if c.precinct == "1001")
    assert entry.verified_how == "volunteer-dropped"
    # Ann is back: the first chair is put through again before the one who called later.
    on_duty(network, loop)
    drain(services.queue)
    loop.run(loop.now() + 10)
    ann = services.store.dispatch.state("v1")
    assert (ann.status, ann.caller_call_sid) == ("talking", first_call.sid)
    assert first_call.heard[-1] == "Connecting you to a volunteer now."
    assert later.live and place_of(services, "1002") == 1


@pytest.mark.parametrize("choice", [None, "2"])
def test_a_chair_who_does_not_press_1_hears_goodbye_and_leaves_no_place(night, choice):
    services, loop, network = night
    chair_call, volunteer = put_through(services, loop, network, Chair("1001", choice))

    network.hang_up(volunteer)
    loop.run(loop.now() + 60)

    assert chair_call.heard[-2:] == [ROOM_ENDED, "Thank you for calling. Goodbye."]
    assert not chair_call.live
    assert place_of(services, "1001") is None


def test_the_question_and_the_answers_as_twiml(client, services):
    """The exact documents: the question (a key, silence posts too), and a call that has
    already ended is never put back in line by a late answer.
    """
    params = {"CallSid": "CA1", "From": "+15155550101", "To": "+15155550000"}
    asked = signed_post(client, "/voice/room-ended", params, query={"precinct": "1001"})
    assert asked.data.decode() == (
        f'{XML}<Response><Gather action="{PUBLIC_URL}/voice/room-ended?precinct=1001&amp;'
        'asked=1" actionOnEmptyResult="true" input="dtmf" method="POST" numDigits="1" '
        f'timeout="6"><Say language="en-US">{ROOM_ENDED}</Say></Gather></Response>'
    )
    services.store.calls.arrive(now=services.clock.now(), call_sid="CA1", number=CHAIR, request={})
    services.store.calls.end(
        now=services.clock.now(),
        call_sid="CA1",
        status="completed",
        sequence=None,
        duration_s=60,
        terminal=True,
        precinct="1001",
        keep_place_s=7200,
    )
    late = signed_post(
        client,
        "/voice/room-ended",
        {**params, "Digits": "1"},
        query={"precinct": "1001", "asked": "1"},
    )
    assert late.data.decode() == (
        f'{XML}<Response><Say language="en-US">Thank you for calling. Goodbye.</Say>'
        "<Hangup /></Response>"
    )
    assert place_of(services, "1001") is None
