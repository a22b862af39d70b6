"""The simulated phone network's TwiML interpreter against Twilio's documented behaviour:
the request each webhook gets, Say/Play/Pause timing, Redirect, Hangup, Reject, the end of a
document, and the status callback. Gather is in test_sim_network_gather.py; Enqueue, Leave,
Queue Member and Call updates, Dial/Conference and outbound calls in test_sim_network_queue.py.

The app and the caller are test doubles: ScriptedApp answers each URL path with fixed TwiML
(or a function of the request) and records every request with its virtual time; Person
answers each <Gather> from a script. Times are virtual seconds after T0, when the loop
starts; a ScriptedApp caps the requests it takes so that a loop that never ends fails fast.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from hotline.clock import ManualClock
from hotline.sim.loop import EventLoop
from hotline.sim.network import API_VERSION, MAX_INSTANT_STEPS, Network, Reply, SimCall

ACCOUNT = "AC" + "0123456789abcdef" * 2
APP = "https://hotline.example.test"
VOICE_URL = f"{APP}/voice/incoming"
STATUS_URL = f"{APP}/voice/status"
HOTLINE = "+15155550000"
CHAIR = "+15155550101"
OTHER = "+15155550102"
T0 = ManualClock().now()  # 2020-02-05 00:00:00 UTC
EMPTY = "<Response/>"
SID = re.compile(r"^CA[0-9a-f]{32}$")
# A runaway loop in the interpreter fails the test instead of hanging it.
MAX_REQUESTS = 500

Answer = str | tuple[int, str] | Callable[[dict[str, str]], "str | tuple[int, str]"]


def twiml(*verbs: str) -> str:
    return "<Response>" + "".join(verbs) + "</Response>"


def redirect(path: str) -> str:
    return f"<Redirect>{APP}{path}</Redirect>"


def since(when: float | None) -> float | None:
    """Seconds after T0, to the microsecond (T0 + 0.4 is not exactly 0.4 after T0 in floats)."""
    return None if when is None else round(when - T0, 6)


@dataclass(frozen=True)
class Request:
    at: float  # seconds since T0
    url: str
    params: dict[str, str]

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(self.url).path


class ScriptedApp:
    """The app's side of the network (a Transport): TwiML per URL path, every request kept."""

    def __init__(self, loop: EventLoop, routes: dict[str, Answer]) -> None:
        self.loop = loop
        self.routes = routes
        self.requests: list[Request] = []

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        if len(self.requests) >= MAX_REQUESTS:
            raise AssertionError(f"more than {MAX_REQUESTS} requests: a loop that never ends?")
        self.requests.append(Request(since(self.loop.now()), url, dict(params)))
        answer = self.routes.get(urllib.parse.urlsplit(url).path, EMPTY)
        if callable(answer):
            answer = answer(params)
        return answer if isinstance(answer, tuple) else (200, answer)

    def timeline(self) -> list[tuple[float, str]]:
        """(when, path) of every request, in order."""
        return [(r.at, r.path) for r in self.requests]

    def to(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def status(self) -> Request:
        (request,) = self.to("/voice/status")
        return request


class Person:
    """A caller (or callee): answers each prompt from a script, silent once it runs out."""

    kind = "chair"

    def __init__(self, loop: EventLoop, replies: list[Reply], talk_s: float = 60.0) -> None:
        self.loop = loop
        self.replies = list(replies)
        self.talk_s = talk_s
        self.prompts: list[tuple[float, list[str], bool]] = []  # (when, heard, holding)
        self.events: list[tuple[float, str]] = []

    def _note(self, what: str) -> None:
        self.events.append((since(self.loop.now()), what))

    def on_gather(self, call: SimCall, heard: list[str], holding: bool) -> Reply:
        self.prompts.append((since(self.loop.now()), list(heard), holding))
        return self.replies.pop(0) if self.replies else Reply()

    def on_enqueued(self, call: SimCall) -> None:
        self._note("enqueued")

    def on_joined_room(self, call: SimCall) -> None:
        pass

    def on_connected(self, call: SimCall) -> None:
        self._note("connected")

    def on_ended(self, call: SimCall) -> None:
        self._note(f"ended {call.status}")

    def talk_seconds(self) -> float:
        return self.talk_s


@dataclass
class Sim:
    clock: ManualClock
    loop: EventLoop
    app: ScriptedApp
    network: Network
    people: list[Person] = field(default_factory=list)

    def person(self, *replies: Reply, talk_s: float = 60.0) -> Person:
        person = Person(self.loop, list(replies), talk_s)
        self.people.append(person)
        return person

    def call(self, *replies: Reply, caller: str = CHAIR, **extra: str) -> SimCall:
        """A caller dials the hotline now, answering prompts with `replies`."""
        return self.network.place_inbound(self.person(*replies), caller, **extra)

    def call_at(self, seconds: float, *replies: Reply, caller: str = CHAIR) -> list[SimCall]:
        placed: list[SimCall] = []
        person = self.person(*replies)
        self.loop.at(
            T0 + seconds, lambda: placed.append(self.network.place_inbound(person, caller))
        )
        return placed

    def at(self, seconds: float, action: Callable[..., object], *args: object) -> None:
        self.loop.at(T0 + seconds, action, *args)

    def run(self, until: float = 3600.0) -> None:
        """Run virtual time up to `until` seconds after T0."""
        self.loop.run(T0 + until)


def make_sim(routes: dict[str, Answer], *, status_url: str | None = STATUS_URL) -> Sim:
    clock = ManualClock()
    loop = EventLoop(clock)
    app = ScriptedApp(loop, routes)
    network = Network(
        loop,
        app,
        account_sid=ACCOUNT,
        voice_url=VOICE_URL,
        status_url=status_url,
        hotline_number=HOTLINE,
    )
    return Sim(clock, loop, app, network)


def webhook(call: SimCall, status: str = "in-progress", **extra: str) -> dict[str, str]:
    """The parameters Twilio sends with every voice webhook of an inbound call."""
    return {
        "CallSid": call.sid,
        "AccountSid": ACCOUNT,
        "CallStatus": status,
        "Direction": "inbound",
        "ApiVersion": API_VERSION,
        "From": CHAIR,
        "To": HOTLINE,
        "Caller": CHAIR,
        "Called": HOTLINE,
        **extra,
    }


def status_callback(
    call: SimCall,
    status: str,
    duration: int,
    timestamp: str,
    *,
    direction: str = "inbound",
    from_: str = CHAIR,
    to: str = HOTLINE,
) -> dict[str, str]:
    return {
        "CallSid": call.sid,
        "AccountSid": ACCOUNT,
        "From": from_,
        "To": to,
        "Direction": direction,
        "ApiVersion": API_VERSION,
        "CallStatus": status,
        "CallDuration": str(duration),
        "Duration": str((duration + 59) // 60),
        "SequenceNumber": "0",
        "Timestamp": timestamp,
        "CallbackSource": "call-progress-events",
    }


# --- The first request ---------------------------------------------------------------------


def test_inbound_call_posts_twilios_webhook_parameters_to_the_voice_url():
    sim = make_sim({"/voice/incoming": twiml("<Pause/>")})
    call = sim.call(FromState="IA", FromCountry="US", StirVerstat="TN-Validation-Passed-A")
    (first,) = sim.app.requests
    assert first.at == 0.0
    assert first.url == VOICE_URL
    assert first.params == webhook(
        call, "ringing", FromState="IA", FromCountry="US", StirVerstat="TN-Validation-Passed-A"
    )
    assert SID.match(first.params["CallSid"])


def test_each_call_gets_its_own_sid():
    sim = make_sim({"/voice/incoming": twiml("<Pause/>")})
    first, second = sim.call(), sim.call(caller=OTHER)
    assert first.sid != second.sid
    assert SID.match(first.sid) and SID.match(second.sid)
    assert [r.params["CallSid"] for r in sim.app.requests] == [first.sid, second.sid]
    assert sim.app.requests[1].params["From"] == OTHER
    assert sim.app.requests[1].params["Caller"] == OTHER


def test_answered_call_reports_in_progress_on_later_requests():
    sim = make_sim(
        {"/voice/incoming": twiml(redirect("/voice/next")), "/voice/next": twiml("<Pause/>")}
    )
    call = sim.call()
    sim.run(0.5)
    assert sim.app.timeline() == [(0.0, "/voice/incoming"), (0.0, "/voice/next")]
    assert sim.app.requests[1].params == webhook(call, "in-progress")
    assert call.status == "in-progress"
    assert since(call.answered_at) == 0.0


# --- Say, Play, Pause: time passes as the caller listens ----------------------------------


@pytest.mark.parametrize(
    ("say", "seconds"),
    [
        ("<Say>Goodbye</Say>", 0.4),
        ("<Say>Please enter your precinct number</Say>", 2.0),  # 5 words at 2.5 a second
        ("<Say>1 0 0 1</Say>", 1.6),  # digits read one by one are words
        ('<Say loop="3">Please enter your precinct number</Say>', 6.0),
        ('<Say voice="Polly.Joanna" language="en-US">Two words</Say>', 0.8),
    ],
)
def test_say_takes_its_words_at_two_and_a_half_a_second(say, seconds):
    sim = make_sim(
        {"/voice/incoming": twiml(say, redirect("/voice/next")), "/voice/next": twiml("<Pause/>")}
    )
    sim.call()
    sim.run(60)
    assert sim.app.timeline()[:2] == [(0.0, "/voice/incoming"), (seconds, "/voice/next")]


@pytest.mark.parametrize(
    ("verb", "seconds"),
    [
        ("<Pause/>", 1.0),  # Twilio's default length
        ('<Pause length="7"/>', 7.0),
        ("<Play>https://cdn.example.test/hold.mp3</Play>", 30.0),  # a hold-music track
        ('<Play loop="2">https://cdn.example.test/hold.mp3</Play>', 60.0),
    ],
)
def test_pause_and_play_take_their_length(verb, seconds):
    sim = make_sim(
        {
            "/voice/incoming": twiml(verb, redirect("/voice/next")),
            "/voice/next": twiml('<Pause length="600"/>'),
        }
    )
    sim.call()
    sim.run(120)
    assert sim.app.timeline()[:2] == [(0.0, "/voice/incoming"), (seconds, "/voice/next")]


def test_verbs_run_one_after_another():
    sim = make_sim(
        {
            "/voice/incoming": twiml(
                "<Say>Welcome to the results hotline</Say>",  # 2.0 s
                '<Pause length="3"/>',
                "<Play>https://cdn.example.test/chime.mp3</Play>",  # 30 s
                "<Say>Goodbye</Say>",  # 0.4 s
                redirect("/voice/next"),
            ),
            "/voice/next": twiml('<Pause length="600"/>'),
        }
    )
    call = sim.call()
    sim.run(100)
    assert sim.app.timeline() == [(0.0, "/voice/incoming"), (35.4, "/voice/next")]
    assert call.heard == ["Welcome to the results hotline", "Goodbye"]


# --- Redirect ------------------------------------------------------------------------------


def test_redirect_runs_the_document_at_its_url_and_ignores_the_verbs_after_it():
    sim = make_sim(
        {
            "/voice/incoming": twiml(
                "<Say>One moment</Say>",
                f"<Redirect>{APP}/voice/menu?try=2</Redirect>",
                "<Say>Never heard</Say>",
            ),
            "/voice/menu": twiml("<Say>Main menu</Say>", "<Hangup/>"),
        }
    )
    call = sim.call()
    sim.run()
    assert sim.app.timeline() == [
        (0.0, "/voice/incoming"),
        (0.8, "/voice/menu"),
        (1.6, "/voice/status"),
    ]
    assert sim.app.requests[1].url == f"{APP}/voice/menu?try=2"
    assert sim.app.requests[1].params == webhook(call)
    assert call.heard == ["One moment", "Main menu"]


def test_a_redirect_loop_that_takes_no_time_is_cut_off():
    sim = make_sim({"/voice/incoming": twiml(redirect("/voice/incoming"))})
    call = sim.call()
    sim.run()
    assert call.status == "completed"
    assert since(call.ended_at) == 0.0
    # The first request, then one per <Redirect> followed.
    assert sim.app.timeline() == [(0.0, "/voice/incoming")] * (1 + MAX_INSTANT_STEPS) + [
        (0.0, "/voice/status")
    ]
    assert sim.app.status().params["CallStatus"] == "completed"


# --- The end of a call: Hangup, the end of the document, the caller hanging up ---------


@pytest.mark.parametrize(
    "answer",
    [
        (500, "Internal Server Error"),
        (200, "<Response><Say>Unclosed</Response>"),
        (200, "<Response><Sing>La</Sing></Response>"),
    ],  # not TwiML: Twilio's error 12100/12200
)
def test_an_application_error_mid_call_ends_the_call(answer):
    sim = make_sim(
        {
            "/voice/incoming": twiml("<Say>Hello</Say>", redirect("/voice/next")),
            "/voice/next": answer,
        }
    )
    call = sim.call()
    sim.run()
    assert sim.app.timeline() == [
        (0.0, "/voice/incoming"),
        (0.4, "/voice/next"),
        (0.4, "/voice/status"),
    ]
    assert call.status == "completed"
    assert call.outcome == "application error"


def test_end_of_document_hangs_up():
    sim = make_sim({"/voice/incoming": twiml("<Say>The results line is closed</Say>")})
    call = sim.call()
    sim.run()
    assert call.status == "completed"
    assert since(call.ended_at) == 2.0
    assert sim.app.timeline() == [(0.0, "/voice/incoming"), (2.0, "/voice/status")]
    assert sim.people[0].events == [(2.0, "ended completed")]


def test_empty_response_answers_and_hangs_up_at_once():
    sim = make_sim({"/voice/incoming": EMPTY})
    call = sim.call()
    sim.run()
    assert since(call.answered_at) == since(call.ended_at) == 0.0
    assert sim.app.status().params["CallStatus"] == "completed"
    assert sim.app.status().params["CallDuration"] == "0"


def test_hangup_ends_the_call_and_the_verbs_after_it_never_run():
    sim = make_sim(
        {
            "/voice/incoming": twiml(
                "<Say>Goodbye</Say>", "<Hangup/>", "<Say>Never heard</Say>", redirect("/voice/next")
            )
        }
    )
    call = sim.call()
    sim.run()
    assert call.status == "completed"
    assert call.heard == ["Goodbye"]
    assert sim.app.timeline() == [(0.0, "/voice/incoming"), (0.4, "/voice/status")]


def test_caller_hanging_up_mid_document_ends_the_call_there():
    sim = make_sim({"/voice/incoming": twiml('<Pause length="10"/>', redirect("/voice/next"))})
    call = sim.call()
    sim.network.hang_up_after(call, 4.0)
    sim.run()
    assert call.status == "completed"
    assert call.outcome == "caller hung up"
    assert sim.app.timeline() == [(0.0, "/voice/incoming"), (4.0, "/voice/status")]
    assert sim.app.status().params["CallDuration"] == "4"


# --- Reject --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reject", "status"),
    [
        ('<Reject reason="busy"/>', "busy"),
        ('<Reject reason="rejected"/>', "no-answer"),
        ("<Reject/>", "no-answer"),  # reason defaults to rejected
    ],
)
def test_reject_as_first_verb_never_answers_the_call(reject, status):
    sim = make_sim({"/voice/incoming": twiml(reject, "<Say>Never heard</Say>")})
    call = sim.call()
    sim.run()
    assert call.status == status
    assert call.answered_at is None
    assert call.outcome == "rejected"
    assert call.heard == []
    assert sim.app.timeline() == [(0.0, "/voice/incoming"), (0.0, "/voice/status")]
    # Not answered, not billed.
    assert sim.app.status().params == status_callback(
        call, status, 0, "Wed, 05 Feb 2020 00:00:00 +0000"
    )


def test_reject_after_the_call_is_answered_just_hangs_up():
    sim = make_sim({"/voice/incoming": twiml("<Say>Hello there</Say>", '<Reject reason="busy"/>')})
    call = sim.call()
    sim.run()
    assert since(call.answered_at) == 0.0
    assert call.status == "completed"
    assert since(call.ended_at) == 0.8


# --- The status callback -------------------------------------------------------------------


def test_status_callback_reports_status_duration_from_answer_and_timestamp():
    sim = make_sim({"/voice/incoming": twiml('<Pause length="75"/>')})
    call = sim.call()
    sim.run()
    request = sim.app.status()
    assert (request.at, request.url) == (75.0, STATUS_URL)
    assert request.params == status_callback(
        call, "completed", 75, "Wed, 05 Feb 2020 00:01:15 +0000"
    )


def test_status_callback_is_posted_once_and_numbers_its_events_from_zero():
    sim = make_sim({"/voice/incoming": twiml('<Pause length="5"/>')})
    call = sim.call()
    sim.network.hang_up_after(call, 2.0)
    sim.at(3.0, sim.network.hang_up, call)  # already over: nothing more to report
    sim.run()
    assert sim.app.status().params["SequenceNumber"] == "0"
    assert sim.app.status().at == 2.0
    assert call.sequence == 1  # the next event would be number 1


def test_call_duration_counts_whole_seconds_from_the_answer():
    sim = make_sim({"/voice/incoming": twiml("<Say>one two three four five six seven</Say>")})
    sim.call()
    sim.run()
    assert sim.app.status().at == 2.8
    assert sim.app.status().params["CallDuration"] == "2"
    assert sim.app.status().params["Duration"] == "1"  # minutes, rounded up


def test_no_status_callback_without_a_status_url():
    sim = make_sim({"/voice/incoming": twiml("<Say>Bye</Say>")}, status_url=None)
    call = sim.call()
    sim.run()
    assert call.status == "completed"
    assert sim.app.timeline() == [(0.0, "/voice/incoming")]


def test_status_hooks_see_every_ended_call():
    sim = make_sim({"/voice/incoming": twiml("<Say>Bye</Say>")})
    ended: list[str] = []
    posted: list[str] = []
    sim.network.on_ended.append(lambda c: ended.append(c.status))
    sim.network.on_status_posted.append(lambda c: posted.append(c.sid))
    call = sim.call()
    sim.run()
    assert ended == ["completed"]
    assert posted == [call.sid]
