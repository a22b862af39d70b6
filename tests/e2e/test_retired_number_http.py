"""End to end over real HTTP: the troll on a retired hotline number, against `hotline serve`
and `hotline worker`, with signed webhooks as Twilio would post them.

After a rotation the old number keeps answering (docs: "Number rotation"): an unknown
caller hears that the number changed and gets flood mode's one short chance, never the new
number; a caller ID showing a registered chair's phone is asked for that chair's PIN as on
any night (the caller ID proves nothing); a step replayed is refused; the new number
answers as the old one did.
"""

from __future__ import annotations

import pytest

from hotline.store.numbers import OwnedNumber
from tests.support.roster import SMALL_ROSTER, load_small_roster
from tests.support.twilio import call_form
from tests.support.twilio import post_over_http as post
from tests.support.xml import shape

OLD, NEW = "+15155550000", "+15155550200"
TROLL = "+17125550667"
CHAIR_PHONE = SMALL_ROSTER["77001"][3]


@pytest.fixture
def retired(stack, stack_services):
    """The roster loaded, and OLD retired for NEW as `hotline number rotate` leaves them."""
    load_small_roster(stack_services)
    voice, status = f"{stack.public_url}/voice/incoming", f"{stack.public_url}/voice/status"
    stack_services.store.numbers.rotate(
        now=stack_services.clock.now(),
        author="ann",
        new=OwnedNumber(NEW, "PN" + "2" * 32, voice, status),
        old=[OwnedNumber(OLD, "PN" + "1" * 32, voice, status)],
        chairs=[],
    )
    return stack_services


def ring(stack, call_sid: str, caller: str, dialled: str) -> tuple[dict, str]:
    """The call's first answer: its Gather's attributes and what it says."""
    status, body, _ = post(
        f"{stack.public_url}/voice/incoming", call_form(call_sid, caller, dialled)
    )
    assert status == 200
    ((verb, attributes, _, said),) = shape(body)
    assert verb == "Gather"
    return attributes, said[0][2]


def test_the_troll_on_the_retired_number_gets_one_short_chance_and_no_new_number(stack, retired):
    gather, said = ring(stack, "CA" + "1" * 32, TROLL, OLD)
    assert said == retired.settings.prompts["number_changed_challenge"]
    assert "strict=1" in gather["action"]
    assert NEW not in said and "5 5 5 0 2 0 0" not in said

    # Keying nothing: no second prompt, the call is over.
    status, body, _ = post(gather["action"], call_form("CA" + "1" * 32, TROLL, OLD, Digits=""))
    assert status == 200
    assert [verb[0] for verb in shape(body)] == ["Say", "Hangup"]

    # The same step replayed, as the troll would replay what he saw: refused.
    status, _, _ = post(gather["action"], call_form("CA" + "1" * 32, TROLL, OLD, Digits="1001"))
    assert status == 409


def test_a_chairs_caller_id_on_the_retired_number_still_needs_the_pin(stack, retired):
    gather, said = ring(stack, "CA" + "2" * 32, CHAIR_PHONE, OLD)
    assert said == "Welcome, chair of precinct 7 7 0 0 1. Please enter your PIN, then press pound."
    assert "/voice/pin?precinct=77001&how=registered-phone" in gather["action"]

    status, body, _ = post(
        gather["action"], call_form("CA" + "2" * 32, CHAIR_PHONE, OLD, Digits="000000")
    )
    assert status == 200
    assert b"is verified" not in body


def test_the_new_number_answers_an_unknown_caller_as_any_night(stack, retired):
    gather, said = ring(stack, "CA" + "3" * 32, TROLL, NEW)
    assert said == (
        "Welcome to the caucus results hotline. Please enter your precinct number, then press "
        "pound."
    )
    assert "strict" not in gather["action"]
