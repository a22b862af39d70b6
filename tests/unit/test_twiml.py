"""TwiML builders: parse the documents back and assert exact verbs, attributes and text."""

from __future__ import annotations

import pytest

from hotline.voice import twiml
from hotline.voice.twiml import Speech
from tests.support.xml import parse, shape, verbs

DEFAULT = Speech()
US = {"language": "en-US"}
POLLY = Speech(voice="Polly.Joanna", language="en-GB")
POLLY_ATTRS = {"language": "en-GB", "voice": "Polly.Joanna"}

ACTION = "https://hotline.example.test/voice/pin?precinct=0042&try=2"
WAIT = "https://hotline.example.test/voice/wait?precinct=0042"
LEFT = "https://hotline.example.test/voice/left?precinct=0042"


def gather_attrs(action: str = ACTION, timeout: str = "6") -> dict[str, str]:
    return {
        "input": "dtmf",
        "action": action,
        "method": "POST",
        "finishOnKey": "#",
        "timeout": timeout,
        "actionOnEmptyResult": "true",
    }


# --- Speech -------------------------------------------------------------------------------


def test_speech_defaults():
    assert Speech(voice="", language="en-US") == DEFAULT


@pytest.mark.parametrize(
    ("speech", "attributes"),
    [
        (Speech(), {"language": "en-US"}),
        (Speech(language="en-GB"), {"language": "en-GB"}),
        (Speech(voice="Polly.Joanna", language="en-GB"), POLLY_ATTRS),
        (Speech(voice="alice", language=""), {"voice": "alice"}),
        (Speech(voice="", language=""), {}),
    ],
)
def test_speech_attributes_on_say(speech, attributes):
    assert shape(twiml.goodbye("Bye.", speech)) == [
        ("Say", attributes, "Bye.", []),
        ("Hangup", {}, "", []),
    ]


# --- reject, goodbye, hang up, empty ------------------------------------------------------


def test_reject_busy_is_a_single_busy_reject():
    assert shape(twiml.reject_busy()) == [("Reject", {"reason": "busy"}, "", [])]


def test_goodbye_says_then_hangs_up():
    assert shape(twiml.goodbye("Goodbye.", DEFAULT)) == [
        ("Say", US, "Goodbye.", []),
        ("Hangup", {}, "", []),
    ]


def test_goodbye_escapes_text():
    message = 'Chairs <only> & "friends"'
    assert shape(twiml.goodbye(message, DEFAULT))[0] == ("Say", US, message, [])


def test_hang_up_is_a_single_hangup():
    assert shape(twiml.hang_up()) == [("Hangup", {}, "", [])]


def test_empty_is_an_empty_response():
    root = parse(twiml.empty())
    assert list(root) == []
    assert root.attrib == {}
    assert verbs(twiml.empty()) == []


# --- ask_digits ---------------------------------------------------------------------------


def test_ask_digits_is_one_gather_with_the_prompt_inside():
    document = twiml.ask_digits("Enter your precinct, then press pound.", ACTION, 6, DEFAULT)
    assert shape(document) == [
        ("Gather", gather_attrs(), "", [("Say", US, "Enter your precinct, then press pound.", [])]),
    ]


def test_ask_digits_timeout_and_action_are_the_arguments():
    other = "https://hotline.example.test/voice/precinct"
    document = twiml.ask_digits("Enter.", other, 11, DEFAULT)
    assert shape(document) == [
        ("Gather", gather_attrs(action=other, timeout="11"), "", [("Say", US, "Enter.", [])]),
    ]


def test_ask_digits_with_preface_says_it_before_the_gather():
    document = twiml.ask_digits("Enter your PIN.", ACTION, 6, DEFAULT, preface="Wrong PIN.")
    assert shape(document) == [
        ("Say", US, "Wrong PIN.", []),
        ("Gather", gather_attrs(), "", [("Say", US, "Enter your PIN.", [])]),
    ]


def test_ask_digits_uses_the_speech_for_both_says():
    document = twiml.ask_digits("Enter.", ACTION, 6, POLLY, preface="Hello.")
    assert shape(document) == [
        ("Say", POLLY_ATTRS, "Hello.", []),
        ("Gather", gather_attrs(), "", [("Say", POLLY_ATTRS, "Enter.", [])]),
    ]


def test_ask_digits_without_preface_has_no_leading_say():
    assert verbs(twiml.ask_digits("Enter.", ACTION, 6, DEFAULT, preface="")) == ["Gather"]


# --- hold_in_line -------------------------------------------------------------------------


def test_hold_in_line_says_then_enqueues():
    document = twiml.hold_in_line("Please hold.", "chairs", WAIT, LEFT, DEFAULT)
    assert shape(document) == [
        ("Say", US, "Please hold.", []),
        (
            "Enqueue",
            {"waitUrl": WAIT, "waitUrlMethod": "POST", "action": LEFT, "method": "POST"},
            "chairs",
            [],
        ),
    ]


def test_hold_in_line_queue_name_is_the_argument():
    document = twiml.hold_in_line("Hold.", "chairs-polk", WAIT, LEFT, POLLY)
    assert shape(document)[0] == ("Say", POLLY_ATTRS, "Hold.", [])
    assert shape(document)[1][2] == "chairs-polk"


# --- waiting ------------------------------------------------------------------------------


def test_waiting_says_position_then_pauses():
    assert shape(twiml.waiting("You are number 3 in line.", "", 20, DEFAULT)) == [
        ("Say", US, "You are number 3 in line.", []),
        ("Pause", {"length": "20"}, "", []),
    ]


def test_waiting_plays_music_when_a_url_is_given():
    music = "https://music.example.test/hold.mp3"
    assert shape(twiml.waiting("You are next in line.", music, 20, DEFAULT)) == [
        ("Say", US, "You are next in line.", []),
        ("Play", {}, music, []),
    ]


def test_waiting_without_message_only_pauses():
    assert shape(twiml.waiting("", "", 7, DEFAULT)) == [("Pause", {"length": "7"}, "", [])]


def test_waiting_without_message_with_music_only_plays():
    music = "https://music.example.test/hold.mp3"
    assert shape(twiml.waiting("", music, 7, POLLY)) == [("Play", {}, music, [])]


# --- caching ------------------------------------------------------------------------------


def test_builders_return_the_same_document_for_the_same_arguments():
    first = twiml.ask_digits("Enter.", ACTION, 6, Speech())
    second = twiml.ask_digits("Enter.", ACTION, 6, Speech())
    assert first == second
    assert twiml.ask_digits("Enter.", ACTION, 7, Speech()) != first
    assert twiml.ask_digits("Enter.", ACTION, 6, POLLY) != first
