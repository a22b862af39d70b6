"""Reporting results on the keypad, whole calls through signed webhooks, against a real Redis.

The worked case is Adair 1NW (precinct 1001 of the small roster; the iowa-2020 election gives
it 8 delegates): 40 attendees, Biden 6, Buttigieg 8, Klobuchar 8, Sanders 9, Warren 9, and
Buttigieg lost the coin toss.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from hotline.store import keys
from tests.support.calls import PhoneCall
from tests.support.roster import load_small_roster, pin_of
from tests.support.twilio import PUBLIC_URL, post_to_url
from tests.support.xml import shape, verbs

CHAIR = "+15155550101"
SAY = {"language": "en-US"}
GROUPS = ["2*6", "4*8", "7*8", "9*9", "11*9"]  # Biden, Buttigieg, Klobuchar, Sanders, Warren
ADAIR_GROUPS = {"biden": 6, "buttigieg": 8, "klobuchar": 8, "sanders": 9, "warren": 9}
NEXT = "Next group, or pound alone when done."
READBACK = (
    "Precinct 1 0 0 1. 40 attendees. Joe Biden, 6 people, 1 delegate. Pete Buttigieg, "
    "8 people, 1 delegate. Amy Klobuchar, 8 people, 2 delegates. Bernie Sanders, 9 people, "
    "2 delegates. Elizabeth Warren, 9 people, 2 delegates."
)
BUTTIGIEG_WON = READBACK.replace(
    "8 people, 1 delegate. Amy Klobuchar, 8 people, 2 delegates",
    "8 people, 2 delegates. Amy Klobuchar, 8 people, 1 delegate",
)
OPTIONS = (
    "To confirm these results, press 1. To correct an entry, press 2. To speak to a "
    "volunteer, press 3."
)


@pytest.fixture(autouse=True)
def roster(services):
    load_small_roster(services)


def key_gather(action: str, prompt: str, preface: str = "") -> list[tuple]:
    steps = [("Say", SAY, preface, [])] if preface else []
    return steps + [
        (
            "Gather",
            {
                "action": action,
                "actionOnEmptyResult": "true",
                "input": "dtmf",
                "method": "POST",
                "numDigits": "1",
                "timeout": "6",
            },
            "",
            [("Say", SAY, prompt, [])],
        )
    ]


def digits_gather(action: str, prompt: str, preface: str = "") -> list[tuple]:
    steps = [("Say", SAY, preface, [])] if preface else []
    return steps + [
        (
            "Gather",
            {
                "action": action,
                "actionOnEmptyResult": "true",
                "finishOnKey": "#",
                "input": "dtmf",
                "method": "POST",
                "timeout": "6",
            },
            "",
            [("Say", SAY, prompt, [])],
        )
    ]


def step_url(path: str, step: int, reprompts: int = 0) -> str:
    return f"{PUBLIC_URL}/voice/{path}?precinct=1001&reprompts={reprompts}&step={step}"


def verified_call(client, sid="CA1", caller=CHAIR) -> PhoneCall:
    call = PhoneCall(client, sid, caller)
    call.ring()
    call.press("1001")
    call.press(pin_of("1001"))
    return call


def key_adair(call: PhoneCall, *, coin_toss: str = "2"):
    call.press("1")  # the keypad
    call.press("40")
    for group in GROUPS:
        call.press(group)
    call.press("#")
    for group in GROUPS:
        call.press(group)
    call.press("#")
    return call.press(coin_toss) if coin_toss else call.last


def test_the_adair_1nw_report_keyed_read_back_confirmed_with_a_receipt(client, services):
    call = verified_call(client)
    attendance = call.press("1")
    assert shape(attendance.data) == digits_gather(
        step_url("report-attendance", 3), "Enter the number of attendees, then press pound."
    )
    first = call.press("40")
    assert shape(first.data)[0][1]["action"] == step_url("report-group", 4)
    assert shape(first.data)[0][3][0][2].startswith(
        "Candidate numbers: 1 Michael Bennet, 2 Joe Biden, 3 Michael Bloomberg, "
    )
    taken = call.press("2*6")
    assert shape(taken.data) == digits_gather(step_url("report-group", 5), NEXT, "Joe Biden, 6.")
    for group in GROUPS[1:]:
        call.press(group)
    final = call.press("#")
    assert shape(final.data) == digits_gather(
        step_url("report-group", 10),
        "Final alignment. For each group, enter the candidate number, then star, then the "
        "number of people, then pound. When every group is entered, press pound alone.",
    )
    for group in GROUPS:
        call.press(group)
    toss = call.press("#")
    assert shape(toss.data) == key_gather(
        step_url("report-toss", 16),
        "Pete Buttigieg and Amy Klobuchar tie for keeping a delegate. Press 1 if Pete "
        "Buttigieg won the coin toss. Press 2 if Amy Klobuchar won the coin toss.",
    )
    readback = call.press("2")
    assert shape(readback.data) == key_gather(step_url("report-review", 17), OPTIONS, READBACK)
    services.clock.advance(60)
    done = call.press("1")
    stored = services.store.results.latest("1001")
    assert (stored.version, stored.channel, stored.author) == (1, "keypad", "keypad:••••••••0101")
    assert dict(stored.report.final) == {
        "biden": 6,
        "buttigieg": 8,
        "klobuchar": 8,
        "sanders": 9,
        "warren": 9,
    }
    assert [t.winner for t in stored.report.coin_tosses] == ["klobuchar"]
    spoken = " ".join(stored.receipt)
    assert shape(done.data) == [
        (
            "Say",
            SAY,
            f"Thank you. The results of precinct 1 0 0 1 are stored. Your receipt "
            f"code is {spoken}. Again, your receipt code is {spoken}. Goodbye.",
            [],
        ),
        ("Hangup", {}, "", []),
    ]
    assert services.store.results.draft("1001", "CA1") is None
    assert services.store.redis.exists(keys.results_drafts("1001")) == 0
    assert services.store.results.by_receipt(stored.receipt) == stored
    assert services.store.roster.get("1001").reported_by == "keypad:••••••••0101"
    # The chair left the priority line when they chose the keypad.
    assert services.store.redis.zcard(keys.LINE) == 0


def test_a_replayed_confirm_stores_once(client, services):
    call = verified_call(client)
    key_adair(call)
    confirm_url = call.gather_action()
    call.press("1")
    replay = post_to_url(client, confirm_url, {**call.params, "Digits": "1"})
    assert replay.status_code == 409
    assert len(services.store.results.versions("1001")) == 1


def test_a_chair_whose_precinct_has_reported_is_told_so_with_the_receipt(client, services):
    call = verified_call(client)
    key_adair(call)
    call.press("1")
    stored = services.store.results.latest("1001")
    told = verified_call(client, sid="CA2").last
    assert shape(told.data) == key_gather(
        f"{PUBLIC_URL}/voice/report-choice?precinct=1001&reprompts=0&step=2",
        "To report your results on the keypad, press 1. To speak to a volunteer, press 2.",
        f"Thank you. Precinct 1 0 0 1 is verified. Its results are already stored, with "
        f"receipt code {' '.join(stored.receipt)}. Report again only to correct them.",
    )


def test_a_dropped_call_is_resumed_on_the_next_call(client, services):
    call = verified_call(client)
    call.press("1")
    call.press("40")
    call.press("2*6")
    call.end()
    draft = services.store.results.draft("1001", "CA1")
    assert (draft.call_sid, draft.stage, draft.attendance, dict(draft.first)) == (
        "CA1",
        "first",
        40,
        {"biden": 6},
    )
    again = verified_call(client, sid="CA2")
    offer = again.press("1")
    assert shape(offer.data) == key_gather(
        f"{PUBLIC_URL}/voice/report-resume?precinct=1001&reprompts=0&step=3",
        "You have an unfinished report. Press 1 to continue it, 2 to start again.",
    )
    resumed = again.press("1")
    assert shape(resumed.data)[0][1]["action"].startswith(f"{PUBLIC_URL}/voice/report-group")
    for group in GROUPS[1:]:
        again.press(group)
    again.press("#")
    for group in GROUPS:
        again.press(group)
    again.press("#")
    again.press("2")
    again.press("1")
    stored = services.store.results.latest("1001")
    assert dict(stored.report.first)["biden"] == 6
    assert services.store.results.draft("1001", "CA2") is None
    assert services.store.results.taken_over("1001", "CA1")
    assert services.store.redis.zrange(keys.results_drafts("1001"), 0, -1) == []


def test_starting_again_keys_a_new_report_and_leaves_the_old_one(client, services):
    call = verified_call(client)
    call.press("1")
    call.press("40")
    call.press("2*6")
    call.end()
    again = verified_call(client, sid="CA2")
    again.press("1")
    fresh = again.press("2")
    assert shape(fresh.data)[0][3][0][2] == "Enter the number of attendees, then press pound."
    assert services.store.results.draft("1001", "CA2").attendance is None
    # Not this call's to discard: another phone may still be keying it.
    assert dict(services.store.results.draft("1001", "CA1").first) == {"biden": 6}


def test_a_correction_re_enters_first_and_final(client, services):
    call = verified_call(client)
    key_adair(call)
    ask = call.press("2")
    assert shape(ask.data)[0][3][0][2] == (
        "Enter the candidate number to correct, then pound. "
        "For the attendance, enter 0, then pound."
    )
    first = call.press("2")
    assert shape(first.data)[0][3][0][2] == (
        "Enter the first alignment count for Joe Biden, then pound."
    )
    final = call.press("7")
    assert shape(final.data)[0][3][0][2] == (
        "Enter the final alignment count for Joe Biden, then pound."
    )
    review = call.press("7")
    # Biden's extra person changes the rounding: the toss is asked again, then the review.
    assert verbs(review.data) in (["Gather"], ["Say", "Gather"])
    draft = services.store.results.draft("1001", "CA1")
    assert (draft.first["biden"], draft.final["biden"]) == (7, 7)


def test_a_blocking_error_is_refused_then_corrected(client, services):
    call = verified_call(client)
    call.press("1")
    call.press("40")
    for group in GROUPS:
        call.press(group)
    call.press("#")
    for group in GROUPS[:-1]:
        call.press(group)
    review = call.press("11*12")  # Warren grows past what she had: final above first
    review = call.press("#")
    text = shape(review.data)[0][2]
    assert (
        "This cannot be right: the final alignment adds up to 43, more than the first's 40." in text
    )
    assert shape(review.data)[1][3][0][2] == (
        "To correct an entry, press 2. To speak to a volunteer, press 3."
    )
    refused = call.press("1")
    assert shape(refused.data)[0][2].startswith(
        "These results cannot be stored until the problem is corrected."
    )
    assert services.store.results.latest("1001") is None
    call.press("2")
    call.press("11")
    call.press("9")
    toss = call.press("9")
    assert "tie for keeping a delegate" in shape(toss.data)[0][3][0][2]
    call.press("2")
    call.press("1")
    assert services.store.results.latest("1001").report.final["warren"] == 9


@pytest.mark.parametrize(
    ("digits", "said"),
    [
        ("", "Sorry, we did not get that."),
        (
            "12",
            "Please enter the candidate number, then star, then the number of people, then pound.",
        ),
        (
            "*5",
            "Please enter the candidate number, then star, then the number of people, then pound.",
        ),
        (
            "2*",
            "Please enter the candidate number, then star, then the number of people, then pound.",
        ),
        (
            "2**5",
            "Please enter the candidate number, then star, then the number of people, then pound.",
        ),
        ("99*5", "There is no candidate number 99."),
        ("2*41", "Joe Biden cannot have 41: there are 40 attendees."),
        ("2*10000", "Joe Biden cannot have 10000: there are 40 attendees."),
    ],
)
def test_bad_group_entries_are_named_and_asked_again(client, services, digits, said):
    call = verified_call(client)
    call.press("1")
    call.press("40")
    again = call.press(digits)
    assert shape(again.data)[0] == ("Say", SAY, said, [])
    assert shape(again.data)[1][1]["action"] == step_url("report-group", 5, reprompts=1)
    assert services.store.results.draft("1001", "CA1").first == {}


@pytest.mark.parametrize(
    ("digits", "said"),
    [
        ("", "Sorry, we did not get that."),
        ("4*0", "Please enter the number using the digits only, then press pound."),
        ("0", "0 cannot be the attendance: enter a number from 1 to 9999."),
        ("10000", "10000 cannot be the attendance: enter a number from 1 to 9999."),
    ],
)
def test_bad_attendance_is_named_and_asked_again(client, services, digits, said):
    call = verified_call(client)
    call.press("1")
    again = call.press(digits)
    assert shape(again.data)[0] == ("Say", SAY, said, [])
    assert services.store.results.draft("1001", "CA1").attendance is None


def test_pound_alone_before_any_group_is_not_taken_as_done(client, services):
    call = verified_call(client)
    call.press("1")
    call.press("40")
    again = call.press("#")
    assert shape(again.data)[0] == ("Say", SAY, "No groups are entered yet.", [])


def test_silence_at_the_choice_goes_to_the_line_after_the_reprompts(client, services):
    call = verified_call(client)
    for _ in range(4):
        assert verbs(call.press("").data) == ["Say", "Gather"]
    held = call.press("")
    assert verbs(held.data) == ["Say", "Enqueue"]
    assert services.store.redis.zcard(keys.LINE) == 1


def test_three_at_the_review_puts_the_chair_in_line_and_keeps_the_draft(client, services):
    call = verified_call(client)
    key_adair(call)
    held = call.press("3")
    assert shape(held.data)[0][2] == (
        "A volunteer will take your results, and will see what "
        "you keyed. Please hold for the next volunteer."
    )
    assert verbs(held.data) == ["Say", "Enqueue"]
    assert services.store.redis.zrange(keys.LINE, 0, -1) == ["CA1"]
    assert services.store.results.draft("1001", "CA1").final["warren"] == 9


def said(response) -> str:
    """Everything a TwiML answer says, in order."""
    return " ".join(el.text or "" for el in ET.fromstring(response.data).iter("Say"))


def two_phones_at_the_resume_offer(client) -> tuple[PhoneCall, PhoneCall]:
    """The chair (CA1) has keyed the attendance and Biden's 6; a second phone for the
    precinct (CA2) has just chosen the keypad and is offered that report.
    """
    one = verified_call(client, sid="CA1")
    one.press("1")
    one.press("40")
    one.press("2*6")
    other = verified_call(client, sid="CA2", caller="+15155550199")
    other.press("1")
    return one, other


def test_two_phones_keying_one_precinct_at_once_each_store_what_they_keyed(client, services):
    """The chair and a second phone for the same precinct key at the same time (the second
    chooses to start again): neither keys into the other's report, and each confirms
    exactly what it keyed, as two versions.
    """
    one, other = two_phones_at_the_resume_offer(client)
    assert said(other.press("2")) == "Enter the number of attendees, then press pound."
    keys_one = [*GROUPS[1:], "#", *GROUPS, "#", "2"]  # Klobuchar wins the toss
    keys_other = ["40", *GROUPS, "#", *GROUPS, "#", "1"]  # Buttigieg does
    heard_one, heard_other = [], []
    for n in range(max(len(keys_one), len(keys_other))):
        if n < len(keys_one):
            heard_one.append(said(one.press(keys_one[n])))
        if n < len(keys_other):
            heard_other.append(said(other.press(keys_other[n])))
    assert heard_one[-1] == f"{READBACK} {OPTIONS}"
    assert heard_other[-1] == f"{BUTTIGIEG_WON} {OPTIONS}"
    stored_one = one.press("1")
    stored_other = other.press("1")
    versions = services.store.results.versions("1001")
    assert [(v.version, v.author) for v in versions] == [
        (1, "keypad:••••••••0101"),
        (2, "keypad:••••••••0199"),
    ]
    assert [[t.winner for t in v.report.coin_tosses] for v in versions] == [
        ["klobuchar"],
        ["buttigieg"],
    ]
    for v in versions:
        assert v.report.attendance == 40
        assert dict(v.report.first) == dict(v.report.final) == ADAIR_GROUPS
    assert f"receipt code is {' '.join(versions[0].receipt)}." in said(stored_one)
    assert f"receipt code is {' '.join(versions[1].receipt)}." in said(stored_other)
    assert services.store.redis.exists(keys.results_drafts("1001")) == 0


def test_a_second_phone_that_continues_the_report_takes_it_over(client, services):
    one, other = two_phones_at_the_resume_offer(client)
    resumed = said(other.press("1"))
    assert resumed.startswith("Candidate numbers: 1 Michael Bennet, ")
    assert resumed.endswith("When every group is entered, press pound alone.")
    # The first phone, still up, is told, and starts a report of its own.
    told = one.press("4*8")
    assert said(told) == (
        "Your report is being continued on another call. Let us start a new one on this "
        "call. Enter the number of attendees, then press pound."
    )
    assert services.store.results.draft("1001", "CA1").attendance is None
    for key in [*GROUPS[1:], "#", *GROUPS, "#", "2", "1"]:
        done = other.press(key)
    assert "are stored" in said(done)
    stored = services.store.results.latest("1001")
    assert (stored.version, stored.author) == (1, "keypad:••••••••0199")
    assert dict(stored.report.first) == ADAIR_GROUPS  # Biden's 6 keyed on the first phone
