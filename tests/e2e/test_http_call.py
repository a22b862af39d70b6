"""End to end over real HTTP: `hotline serve` (gunicorn) and `hotline worker` (RQ) run as
processes against the test Redis (tests/e2e/conftest.py), and the simulator's phone
network places the calls, exactly as Twilio would: signed webhooks, the TwiML followed
verb by verb, <Enqueue> into a queue whose wait URL it fetches, and a status callback
when each call ends, which the worker turns into bookkeeping.

The callers are the simulator's own people (a Chair, a NuisanceCaller) with specs made
here, and, where exact timings matter, a caller scripted in this file. The network's
time is virtual; the stack keeps its own clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from hotline.clock import ManualClock
from hotline.services import Services
from hotline.sim.network import Network, Reply, SimCall
from hotline.sim.people import Chair, Listener, NuisanceCaller
from hotline.sim.population import STIR_PASSED, ChairSpec, NuisanceSpec
from hotline.sim.scenario import Arrival, Chairs, Nuisance
from hotline.store import keys
from tests.support.line import place_of
from tests.support.roster import import_precinct

CHAIR_PRECINCT = "1204"
CHAIR_PIN = "432198"
CHAIR_BACKUP_CODE = "52719364"
CHAIR_PHONE = "+15155550101"
TROLL = "+17125550666"
QUITTER = "+15155550303"

ASK_PRECINCT = (
    "Welcome to the caucus results hotline. Please enter your precinct number, then press pound."
)
# Said after a call's first prompt, in Spanish.
SPANISH_OFFER = "Para español, oprima 9."
ASK_PIN = "Please enter your chair PIN, then press pound."
VERIFIED = "Thank you. Precinct 1 2 0 4 is verified."
REPORT_CHOICE = "To report your results on the keypad, press 1. To speak to a volunteer, press 2."
HOLD = "Please hold for the next volunteer."
NEXT_IN_LINE = (
    "You are next in line. To hang up and be called back without losing your place, press 1."
)
DIVERTED = (
    "This line is reserved for precinct chairs reporting results. For caucus information, "
    "please visit the party website. Goodbye."
)
TEMP_BLOCK = "9 calls in 1h (temporary block at 9)"
T0 = ManualClock().now()  # where the network's virtual clock starts (conftest.py)

# A chair who holds for an hour on average, and calls once.
CHAIR_HABITS = Chairs(
    count=1,
    arrival=Arrival("uniform", 0.0, 60.0),
    registered_phone_share=0.0,
    mistype_pin_share=0.0,
    patience_s=3600.0,
    call_back_after_s=120.0,
    max_calls=1,
    talk_s=300.0,
)
# A troll who redials all night from one number, listens to the first prompt for 10 s
# and hangs up (past the 8 s that would make it an instant hang-up: the only signal the
# hotline has is the redialling), and gives up after three busy signals in a row.
TROLL_HABITS = Nuisance(
    numbers=1,
    start_s=0.0,
    end_s=T0 + 24 * 3600,
    redial_every_s=60.0,
    hang_up_after_s=10.0,
    hold_patience_s=1200.0,
    talk_s=30.0,
    gives_up_after_busy=3,
    guess_pins_share=0.0,
    withheld_share=0.0,
    out_of_state_share=0.0,
    stir_failed_share=0.0,
)


class ScriptedCaller(Listener):
    """Presses `keys` in turn, one at each prompt, `KEY_DELAY_S` into it (with "#"); with
    no keys left, hangs up `hang_up_after_s` into the prompt. On hold it stays silent and,
    if `hang_up_at_s` is set, hangs up that long after the call was answered.
    """

    kind = "chair"
    KEY_DELAY_S = 2.0

    def __init__(
        self,
        network: Network,
        keys: list[str],
        *,
        hang_up_after_s: float = 3.0,
        hang_up_at_s: float | None = None,
    ) -> None:
        self.network = network
        self.keys = list(keys)
        self.hang_up_after_s = hang_up_after_s
        self.hang_up_at_s = hang_up_at_s

    def on_gather(self, call: SimCall, heard: list[str], holding: bool) -> Reply:
        if holding:
            return Reply()
        if not self.keys:
            return Reply(hang_up=True, delay_s=self.hang_up_after_s)
        return Reply(self.keys.pop(0) + "#", self.KEY_DELAY_S)

    def on_enqueued(self, call: SimCall) -> None:
        if self.hang_up_at_s is not None:
            self.network.loop.at(call.answered_at + self.hang_up_at_s, self.network.hang_up, call)


@pytest.fixture
def services(stack_services, tmp_path) -> Iterator[Services]:
    """The stack's Redis, Hotline's keys cleared, with a one-precinct roster loaded."""
    result = import_precinct(
        stack_services,
        tmp_path / "unused-pin-sheet.csv",
        code=CHAIR_PRECINCT,
        county="Polk",
        name="DES MOINES-12",
        pin=CHAIR_PIN,
        backup_code=CHAIR_BACKUP_CODE,
    )
    assert (result.imported, result.generated, result.pin_sheet) == (1, 0, None)
    return stack_services


def the_chair(network: Network) -> Chair:
    spec = ChairSpec(
        index=0,
        precinct=CHAIR_PRECINCT,
        county="Polk",
        name="DES MOINES-12",
        pin=CHAIR_PIN,
        phone=CHAIR_PHONE,
        registered=False,
        first_call_at=T0,
        mistypes_pin=False,
    )
    return Chair(network, spec, CHAIR_HABITS, seed=1)


def test_a_chair_rings_keys_in_precinct_and_pin_and_waits_in_line(services, stack, network):
    chair = the_chair(network)
    chair.start()

    network.loop.run(T0 + 60)  # verified and on hold well within the minute

    [call] = chair.calls
    assert call.heard == [
        ASK_PRECINCT,
        SPANISH_OFFER,
        ASK_PIN,
        VERIFIED,
        REPORT_CHOICE,
        HOLD,
        NEXT_IN_LINE,
    ]
    assert call.first_verbs == ("Gather",)
    assert (call.status, call.outcome, call.answered_at) == ("in-progress", "", T0)
    assert call.requests == 5  # incoming, precinct, PIN, report choice, wait URL
    # In the simulator's queue "chairs", listening to the wait URL (which offers a call back).
    assert call.queue is network.queues["chairs"]
    assert network.queues["chairs"].members == [call]
    wait_url = f"{stack.public_url}/voice/wait?precinct={CHAIR_PRECINCT}"
    assert call.enqueue_verb.attr("waitUrl") == wait_url
    assert call.wait_program.url == wait_url
    assert [verb.name for verb in call.wait_program.verbs] == ["Gather"]  # offers a call back
    assert (chair.first_call_at, chair.answered_at, chair.waiting) == (T0, None, True)
    # What the stack holds: the call, the chair's place in the line.
    client = services.store.redis
    record = services.store.calls.get(call.sid)
    assert record is not None
    assert (record.number, record.precinct, record.status, record.ended_at) == (
        CHAIR_PHONE,
        CHAIR_PRECINCT,
        None,
        None,
    )
    assert record.verified_at is not None
    assert client.zrange(keys.LINE, 0, -1) == [call.sid]
    assert json.loads(client.hget(keys.WAITING, call.sid)) == {
        "precinct": CHAIR_PRECINCT,
        "call_sid": call.sid,
        "number": CHAIR_PHONE,
        "verified_how": "keyed-precinct",
        "since": record.verified_at,
        "to": network.hotline_number,
    }
    assert client.hget(keys.caller(CHAIR_PHONE), "verified_at") == repr(record.verified_at)
    assert place_of(services, CHAIR_PRECINCT) == 1


def test_a_troll_redialling_is_challenged_then_diverted_then_rejected(
    services, network, worker_jobs
):
    spec = NuisanceSpec(
        index=0,
        caller_id=TROLL,
        from_state="IA",
        stir_verstat=STIR_PASSED,
        first_call_at=T0,
        guesses_pins=False,
    )
    troll = NuisanceCaller(network, spec, TROLL_HABITS, precincts=[CHAIR_PRECINCT], seed=1)
    troll.start()

    network.loop.run(T0 + 24 * 3600)

    # Eleven calls: three busy signals in a row and the troll stops for the night.
    calls = troll.calls
    assert [call.outcome for call in calls] == (
        ["caller hung up"] * 6 + ["diverted"] * 2 + ["rejected"] * 3
    )
    assert [call.heard for call in calls] == (
        [[ASK_PRECINCT, SPANISH_OFFER]] * 6 + [[DIVERTED]] * 2 + [[]] * 3
    )
    assert [call.first_verbs for call in calls] == (
        [("Gather",)] * 6 + [("Say", "Hangup")] * 2 + [("Reject",)] * 3
    )
    assert [call.status for call in calls] == ["completed"] * 8 + ["busy"] * 3
    assert [call.ended_at - call.created_at for call in calls[:6]] == [10.0] * 6
    assert [c for c in troll.calls if c.connected_at is not None] == []
    assert troll.pin_successes == 0
    assert network.loop.pending() == 0
    # The stack's side: a temporary block of an hour, counted once.
    block = json.loads(services.store.redis.hget(keys.BLOCKS, TROLL))
    assert (block["author"], block["reason"], block["expires_at"] - block["created_at"]) == (
        "triage",
        TEMP_BLOCK,
        3600.0,
    )
    assert services.store.redis.hget(keys.caller(TROLL), "temp_blocks") == "1"
    # A rejected call is refused before it is counted: the number's count stops at 9.
    assert services.store.redis.zcard(keys.caller_calls(TROLL)) == 9
    # The worker records the challenged calls' verdicts when their status callbacks come
    # in (none an instant hang-up); the webhook recorded the rest as it answered them.
    assert [worker_jobs.wait(call.sid) is not None for call in calls[:6]] == [True] * 6
    # (A dispatch run queued by the stack for an earlier test may finish meanwhile.)
    jobs = [
        job for job in worker_jobs.settle() if job.func_name == "workers.call_end.process_call_end"
    ]
    assert [(job.func_name, job.args, job.return_value()) for job in jobs] == [
        (
            "workers.call_end.process_call_end",
            (call.sid,),
            {"call_sid": call.sid, "verdict": "challenge", "instant_hangups": None},
        )
        for call in calls[:6]
    ]
    records = [services.store.calls.get(call.sid) for call in calls]
    assert [(r.verdict, r.reasons, r.status) for r in records] == (
        [("challenge", ("unknown caller",), "completed")] * 6
        + [
            ("divert", ("7 calls in 15m (divert at 7)",), "completed"),
            ("divert", ("8 calls in 15m (divert at 7)",), "completed"),
            ("temp-block", (TEMP_BLOCK,), "busy"),
            ("reject", (f"blocked ({TROLL}): {TEMP_BLOCK}",), "busy"),
            ("reject", (f"blocked ({TROLL}): {TEMP_BLOCK}",), "busy"),
        ]
    )
    assert services.store.redis.exists(keys.caller_hangups(TROLL)) == 0


def test_the_worker_processes_the_status_callback(services, network, worker_jobs):
    # An unknown caller who hangs up three seconds into the first prompt.
    quitter = ScriptedCaller(network, [], hang_up_after_s=3.0)
    call = network.place_inbound(quitter, QUITTER)
    network.loop.run(T0 + 30)

    assert (call.heard, call.outcome, call.status) == (
        [ASK_PRECINCT, SPANISH_OFFER],
        "caller hung up",
        "completed",
    )
    assert (call.answered_at, call.ended_at, call.sequence) == (T0, T0 + 3.0, 1)
    job = worker_jobs.wait(call.sid)

    assert job is not None, "the worker did not finish the call-end job in time"
    assert job.return_value() == {
        "call_sid": call.sid,
        "verdict": "challenge",
        "instant_hangups": 1,
    }
    record = services.store.calls.get(call.sid)
    assert (record.verdict, record.reasons, record.enforced) == (
        "challenge",
        ("unknown caller",),
        True,
    )
    assert (record.status, record.duration_s) == ("completed", 3.0)
    assert services.store.redis.zrange(keys.caller_hangups(QUITTER), 0, -1, withscores=True) == [
        (call.sid, record.ended_at)
    ]

    # A verified chair who hangs up four minutes into the call, on hold: leaves the line
    # (keeping the place for a while), and is no instant hang-up.
    chair = ScriptedCaller(network, [CHAIR_PRECINCT, CHAIR_PIN, "2"], hang_up_at_s=240.0)
    start = network.loop.now()
    call = network.place_inbound(chair, CHAIR_PHONE)
    network.loop.run(start + 200)
    assert call.queue is network.queues["chairs"]
    assert call.heard[:7] == [
        ASK_PRECINCT,
        SPANISH_OFFER,
        ASK_PIN,
        VERIFIED,
        REPORT_CHOICE,
        HOLD,
        NEXT_IN_LINE,
    ]
    score = services.store.redis.zscore(keys.LINE, call.sid)
    assert score is not None

    network.loop.run(start + 300)

    assert (call.outcome, call.status, call.ended_at - call.answered_at) == (
        "caller hung up",
        "completed",
        240.0,
    )
    assert network.queues["chairs"].members == []
    assert services.store.line.size() == 0
    assert float(services.store.redis.get(keys.kept_place(CHAIR_PRECINCT))) == score
    job = worker_jobs.wait(call.sid)

    assert job is not None, "the worker did not finish the call-end job in time"
    assert job.return_value() == {
        "call_sid": call.sid,
        "verdict": "challenge",
        "instant_hangups": None,
    }
    record = services.store.calls.get(call.sid)
    assert (record.verdict, record.precinct, record.status, record.duration_s) == (
        "challenge",
        CHAIR_PRECINCT,
        "completed",
        240.0,
    )
    assert services.store.redis.exists(keys.caller_hangups(CHAIR_PHONE)) == 0
