"""<Gather> as Twilio documents it: the prompt is read, then Twilio waits `timeout` seconds
(default 5) for input; "#" (finishOnKey) or `numDigits` digits submit at once; the digits
go to `action` (default: the URL of the current document) as Digits; no input falls through
to the next verb unless actionOnEmptyResult is true.
"""

from __future__ import annotations

import pytest

from hotline.sim.network import Reply
from tests.unit.test_sim_network import (
    APP,
    VOICE_URL,
    make_sim,
    redirect,
    since,
    twiml,
    webhook,
)

PROMPT = "<Say>Enter your precinct number</Say>"  # 4 words: 1.6 s
AFTER = redirect("/voice/after")
PAUSE = twiml('<Pause length="600"/>')
ACTION = f'action="{APP}/voice/precinct"'


def gather(attrs: str = ACTION, *children: str) -> str:
    return f"<Gather {attrs}>{''.join(children) or PROMPT}</Gather>"


def test_no_input_waits_five_seconds_after_the_prompt_then_runs_the_next_verb():
    sim = make_sim(
        {
            "/voice/incoming": twiml(gather(), "<Say>We did not get that</Say>", AFTER),
            "/voice/after": PAUSE,
        }
    )
    call = sim.call()
    sim.run(60)
    # 1.6 s of prompt, 5 s of silence, 2.0 s of "We did not get that".
    assert sim.app.timeline() == [(0.0, "/voice/incoming"), (8.6, "/voice/after")]
    assert sim.people[0].prompts == [(0.0, ["Enter your precinct number"], False)]
    assert call.heard == ["Enter your precinct number", "We did not get that"]


def test_timeout_sets_how_long_silence_lasts():
    sim = make_sim(
        {"/voice/incoming": twiml(gather(f'{ACTION} timeout="10"'), AFTER), "/voice/after": PAUSE}
    )
    sim.call()
    sim.run(60)
    assert sim.app.timeline() == [(0.0, "/voice/incoming"), (11.6, "/voice/after")]


def test_digits_ended_by_the_finish_key_go_to_the_action_without_the_key():
    sim = make_sim(
        {
            "/voice/incoming": twiml(gather(), "<Say>Never heard</Say>"),
            "/voice/precinct": twiml("<Say>Thank you</Say>", "<Hangup/>"),
        }
    )
    call = sim.call(Reply("0042#", delay_s=3.0))
    sim.run()
    assert sim.app.timeline() == [
        (0.0, "/voice/incoming"),
        (4.6, "/voice/precinct"),
        (5.4, "/voice/status"),
    ]
    action = sim.app.requests[1]
    assert action.url == f"{APP}/voice/precinct"
    # Twilio says which key ended the input.
    assert action.params == webhook(call, Digits="0042", FinishedOnKey="#")
    # Once there is input, the verbs after the Gather are unreachable.
    assert call.heard == ["Enter your precinct number", "Thank you"]


@pytest.mark.parametrize(
    ("attrs", "reply", "at", "digits"),
    [
        # Digits but no finishing key: Twilio waits out the timeout, then submits them.
        ("", Reply("0042", delay_s=3.0), 9.6, "0042"),
        ('timeout="2"', Reply("0042", delay_s=3.0), 6.6, "0042"),
        # numDigits reached: submitted at once, extra keys dropped.
        ('numDigits="4"', Reply("0042", delay_s=2.0), 3.6, "0042"),
        ('numDigits="1"', Reply("12", delay_s=1.0), 2.6, "1"),
        ('numDigits="4"', Reply("42#", delay_s=1.0), 2.6, "42"),  # "#" still finishes early
        # Another finishing key; "#" is then an ordinary key.
        ('finishOnKey="*"', Reply("12*", delay_s=1.0), 2.6, "12"),
        ('finishOnKey="*"', Reply("12#", delay_s=1.0), 7.6, "12#"),
        # An empty finishOnKey: no key finishes input.
        ('finishOnKey=""', Reply("12#", delay_s=1.0), 7.6, "12#"),
    ],
)
def test_when_input_is_submitted_and_what_digits_are_sent(attrs, reply, at, digits):
    sim = make_sim(
        {"/voice/incoming": twiml(gather(f"{ACTION} {attrs}")), "/voice/precinct": PAUSE}
    )
    sim.call(reply)
    sim.run(60)
    assert sim.app.timeline() == [(0.0, "/voice/incoming"), (at, "/voice/precinct")]
    assert sim.app.requests[1].params["Digits"] == digits


def test_action_on_empty_result_posts_no_digits_to_the_action():
    sim = make_sim(
        {
            "/voice/incoming": twiml(
                gather(f'{ACTION} actionOnEmptyResult="true"'), "<Say>Never heard</Say>"
            ),
            "/voice/precinct": PAUSE,
        }
    )
    call = sim.call()
    sim.run(60)
    assert sim.app.timeline() == [(0.0, "/voice/incoming"), (6.6, "/voice/precinct")]
    assert sim.app.requests[1].params == webhook(call, Digits="")
    assert call.heard == ["Enter your precinct number"]


def test_without_action_input_goes_to_the_current_documents_url():
    menu = f"{APP}/voice/menu?try=2"
    sim = make_sim(
        {
            "/voice/incoming": twiml(f"<Redirect>{menu}</Redirect>"),
            "/voice/menu": lambda params: (
                twiml(gather(""), "<Say>Never heard</Say>") if "Digits" not in params else PAUSE
            ),
        }
    )
    call = sim.call(Reply("7#", delay_s=1.0))
    sim.run(60)
    assert sim.app.timeline() == [
        (0.0, "/voice/incoming"),
        (0.0, "/voice/menu"),
        (2.6, "/voice/menu"),
    ]
    assert sim.app.requests[2].url == menu
    assert sim.app.requests[2].params == webhook(call, Digits="7", FinishedOnKey="#")
    assert call.heard == ["Enter your precinct number"]


def test_without_action_input_to_the_voice_url_goes_back_to_the_voice_url():
    sim = make_sim(
        {"/voice/incoming": lambda params: twiml(gather("")) if "Digits" not in params else PAUSE}
    )
    call = sim.call(Reply("0042#", delay_s=2.0))
    sim.run(60)
    assert sim.app.timeline() == [(0.0, "/voice/incoming"), (3.6, "/voice/incoming")]
    assert sim.app.requests[1].url == VOICE_URL
    assert sim.app.requests[1].params == webhook(call, Digits="0042", FinishedOnKey="#")


def test_without_action_no_input_falls_through():
    sim = make_sim({"/voice/incoming": twiml(gather(""), AFTER), "/voice/after": PAUSE})
    sim.call()
    sim.run(60)
    assert sim.app.timeline() == [(0.0, "/voice/incoming"), (6.6, "/voice/after")]


def test_nested_say_play_and_pause_are_all_read_before_the_timeout_starts():
    sim = make_sim(
        {
            "/voice/incoming": twiml(
                gather(
                    ACTION,
                    "<Say>Press 1</Say>",
                    "<Play>https://cdn.example.test/beep.mp3</Play>",
                    '<Pause length="2"/>',
                ),
                AFTER,
            ),
            "/voice/after": PAUSE,
        }
    )
    sim.call()
    sim.run(60)
    # 0.8 s + 30 s + 2 s of prompt, then 5 s of silence.
    assert sim.app.timeline() == [(0.0, "/voice/incoming"), (37.8, "/voice/after")]
    assert sim.people[0].prompts == [(0.0, ["Press 1"], False)]


def test_one_prompt_after_another():
    sim = make_sim(
        {
            "/voice/incoming": twiml(gather()),
            "/voice/precinct": twiml(
                gather(f'action="{APP}/voice/pin"', "<Say>Enter your PIN</Say>")
            ),
            "/voice/pin": twiml("<Say>Verified</Say>"),
        }
    )
    call = sim.call(Reply("0042#", delay_s=3.0), Reply("1234#", delay_s=2.0))
    sim.run()
    assert sim.app.timeline() == [
        (0.0, "/voice/incoming"),
        (4.6, "/voice/precinct"),
        (7.8, "/voice/pin"),
        (8.2, "/voice/status"),
    ]
    assert [r.params.get("Digits") for r in sim.app.requests] == [None, "0042", "1234", None]
    assert sim.people[0].prompts == [
        (0.0, ["Enter your precinct number"], False),
        (4.6, ["Enter your PIN"], False),
    ]
    assert call.heard == ["Enter your precinct number", "Enter your PIN", "Verified"]


def test_caller_hanging_up_at_a_prompt_sends_nothing_to_the_action():
    sim = make_sim({"/voice/incoming": twiml(gather(ACTION))})
    call = sim.call(Reply(hang_up=True, delay_s=2.0))
    sim.run()
    assert call.status == "completed"
    assert since(call.ended_at) == 2.0
    assert call.outcome == "caller hung up"
    assert sim.app.timeline() == [(0.0, "/voice/incoming"), (2.0, "/voice/status")]


def test_input_for_a_gather_the_call_was_redirected_away_from_is_dropped():
    sim = make_sim({"/voice/incoming": twiml(gather()), "/voice/elsewhere": PAUSE})
    call = sim.call(Reply("0042#", delay_s=3.0))  # would submit at 4.6
    sim.at(3.0, lambda: sim.network.update_call(call.sid, url=f"{APP}/voice/elsewhere"))
    sim.run(60)
    assert sim.app.timeline() == [(0.0, "/voice/incoming"), (3.0, "/voice/elsewhere")]
