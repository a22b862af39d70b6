"""Dispatch end to end, in virtual time: chairs and a volunteer call the real app through the
simulated phone network; the dispatch job moves chairs into the volunteer's room through
Hotline's Twilio adapter, over real HTTP, to the simulator's stand-in for Twilio's REST API.
"""

from __future__ import annotations

import json

import pytest

from hotline.jobs import enqueue_dispatch
from hotline.pins import volunteer_pin_digest
from hotline.sim.jobs import drain
from hotline.sim.network import ApiError, Reply, SimCall
from hotline.store import audit, keys
from hotline.store.dispatch import AVAILABLE, TALKING
from hotline.telephony import AccountRefused, TelephonyError, TransientTelephonyError
from tests.support.line import entry_of, free_volunteers, place_of
from tests.support.phone_night import (
    VOLUNTEER_LINE,
    VOLUNTEER_PHONE,
    VOLUNTEER_PIN,
    Person,
    phone_night,
)
from tests.support.roster import pin_of
from tests.support.twilio import PIN_KEY, PUBLIC_URL

HOTLINE = "+15155550000"
SECOND_VOLUNTEER_PHONE = "+15155550998"
SECOND_VOLUNTEER_PIN = "135790"


@pytest.fixture
def night(redis_url, clock):
    with phone_night(redis_url, clock) as built:
        yield built


def volunteer_calls_in(network, loop) -> tuple[Person, SimCall]:
    person = Person(VOLUNTEER_PIN)
    call = network.place_inbound(person, VOLUNTEER_PHONE, voice_url=f"{PUBLIC_URL}/voice/volunteer")
    loop.run(loop.now() + 30)
    return person, call


def chair_calls(network, loop, precinct: str, phone: str) -> tuple[Person, SimCall]:
    person = Person(precinct, pin_of(precinct), "2")  # 2: to a volunteer, not the keypad
    call = network.place_inbound(person, phone)
    loop.run(loop.now() + 60)
    return person, call


def test_a_chair_is_moved_into_the_free_volunteers_room(night):
    services, loop, network, _ = night
    volunteer, volunteer_call = volunteer_calls_in(network, loop)
    assert volunteer_call.conference.name == "volunteer-v1"
    assert services.store.dispatch.state("v1").status == AVAILABLE
    drain(services.queue)  # nobody waiting yet: nothing to do

    chair, chair_call = chair_calls(network, loop, "1001", "+15155550101")
    assert chair_call.queue is not None and chair_call.queue.name == "chairs"
    assert drain(services.queue) == 1  # the dispatch queued when the chair joined the line
    loop.run(loop.now() + 10)  # "Connecting you to a volunteer now.", then the room

    assert chair_call.queue is None
    assert chair_call.conference is volunteer_call.conference
    assert chair.connected == [chair_call.sid] and volunteer.connected == [volunteer_call.sid]
    assert "Connecting you to a volunteer now." in chair_call.heard
    state = services.store.dispatch.state("v1")
    assert (state.status, state.precinct, state.caller_call_sid) == (
        TALKING,
        "1001",
        chair_call.sid,
    )
    redis = services.store.redis
    assert redis.hlen(keys.PAIRINGS) == 0 and redis.zcard(keys.LINE) == 0
    assert services.store.calls.get(chair_call.sid).volunteer == "v1"

    # The chair finishes and hangs up: the volunteer is free, and dispatch runs again.
    network.hang_up(chair_call)
    assert services.store.dispatch.state("v1").status == AVAILABLE
    assert services.queue.count >= 1


def test_a_caller_who_has_gone_is_given_up_and_the_next_one_taken(night):
    services, loop, network, _ = night
    _, first_call = chair_calls(network, loop, "1001", "+15155550101")
    _, second_call = chair_calls(network, loop, "1002", "+15155550102")
    # The first chair hangs up, but Twilio's status callback has not arrived yet.
    status_url, network.status_url = first_call.status_callback, None
    first_call.status_callback = None
    network.hang_up(first_call)
    first_call.status_callback = status_url
    drain(services.queue)
    volunteer_calls_in(network, loop)
    drain(services.queue)
    loop.run(loop.now() + 10)
    assert second_call.conference is not None and second_call.conference.name == "volunteer-v1"
    redis = services.store.redis
    assert float(redis.get(keys.kept_place("1001"))) > 0  # kept, should the chair call back
    assert services.store.dispatch.state("v1").precinct == "1002"


def test_twilio_unreachable_puts_both_back_and_the_retry_connects(night):
    services, loop, network, flaky = night
    volunteer_calls_in(network, loop)
    drain(services.queue)
    chair, chair_call = chair_calls(network, loop, "1001", "+15155550101")
    flaky.down = True
    with pytest.raises(TransientTelephonyError):
        drain(services.queue)
    assert chair_call.queue is not None  # still waiting in Twilio's queue
    assert place_of(services, "1001") == 1
    assert services.store.dispatch.state("v1").status == AVAILABLE
    flaky.down = False
    enqueue_dispatch(services)  # what RQ's retry does, later
    drain(services.queue)
    loop.run(loop.now() + 10)
    assert chair.connected == [chair_call.sid]


def test_someone_else_on_the_volunteer_line_is_turned_away(night):
    services, loop, network, _ = night
    stranger = Person("123456")
    call = network.place_inbound(
        stranger, "+17125550666", voice_url=f"{PUBLIC_URL}/voice/volunteer"
    )
    loop.run(loop.now() + 30)
    assert call.heard == ["This line is for hotline volunteers. Goodbye."]
    assert services.store.calls.get(call.sid).verdict == "divert"


def test_a_wrong_volunteer_pin_is_asked_again_then_the_call_ends(night):
    services, loop, network, _ = night
    person = Person("111111", "222222", "333333")
    call = network.place_inbound(person, VOLUNTEER_PHONE, voice_url=f"{PUBLIC_URL}/voice/volunteer")
    loop.run(loop.now() + 120)
    assert call.heard.count("That PIN did not match.") == 2
    assert call.heard[-1].startswith("We could not verify your PIN.")
    assert not call.live
    assert services.store.dispatch.state("v1") is None  # never on duty
    assert services.store.redis.zcard(keys.FREE_VOLUNTEERS) == 0


def test_the_volunteer_hanging_up_takes_them_off_duty(night):
    services, loop, network, _ = night
    _, volunteer_call = volunteer_calls_in(network, loop)
    network.hang_up(volunteer_call)
    assert services.store.dispatch.state("v1").status == "offline"
    assert services.store.redis.zcard(keys.FREE_VOLUNTEERS) == 0


class WantsCallBack(Person):
    """Verifies, then presses 1 on hold; answers the call back after `answer_after_s`
    (None: never) and presses a key to be put through.
    """

    def __init__(self, precinct: str, answer_after_s: float | None) -> None:
        super().__init__(precinct, pin_of(precinct))
        self.answer_after_s = answer_after_s

    def on_gather(self, call: SimCall, heard: list[str], holding: bool) -> Reply:
        if holding:
            return Reply("1", 1.0)
        if call.direction == "outbound-api":
            return Reply("5", 2.0)
        return super().on_gather(call, heard, holding)


def book_a_call_back(network, loop, phone: str, answer_after_s: float | None) -> WantsCallBack:
    chair = WantsCallBack("1001", answer_after_s)
    network.callees[phone] = lambda: (chair, chair.answer_after_s)
    call = network.place_inbound(chair, phone)
    loop.run(loop.now() + 120)
    assert call.heard[-1] == (
        "We will call you back at your number ending in 0 1 0 1 when a volunteer is free. "
        "You keep your place in line. Goodbye."
    )
    assert not call.live
    return chair


def test_a_chair_who_asks_for_a_call_back_keeps_the_place_and_is_put_through(night):
    services, loop, network, _ = night
    chair = book_a_call_back(network, loop, "+15155550101", answer_after_s=6.0)
    assert place_of(services, "1001") == 1
    assert entry_of(services, "1001")["callback"] == {
        "attempts": 0,
        "requested_at": pytest.approx(loop.now(), abs=120),
    }
    volunteer, _ = volunteer_calls_in(network, loop)
    drain(services.queue)
    callback = [c for c in network.calls.values() if c.direction == "outbound-api"]
    assert [(c.to, c.from_) for c in callback] == [("+15155550101", "+15155550000")]
    loop.run(loop.now() + 60)  # rings, answered, greeting, a key, connecting, the room
    assert chair.connected == [callback[0].sid]
    assert (
        "This is the caucus results hotline calling back for precinct 1 0 0 1. "
        "Press any key to be connected to a volunteer." in callback[0].heard
    )
    assert services.store.dispatch.state("v1").status == TALKING
    # The call back is on record like a call, answered by the volunteer, for the report.
    record = services.store.calls.get(callback[0].sid)
    assert (record.number, record.verdict, record.precinct, record.volunteer) == (
        "+15155550101",
        "call-back",
        "1001",
        "v1",
    )
    assert record.started_at == callback[0].created_at
    assert record.started_at < record.answered_at < callback[0].connected_at
    assert services.store.redis.ttl(keys.call(callback[0].sid)) > 0
    assert callback[0].sid in [r.call_sid for r in services.store.calls.between(0, loop.now())]
    network.hang_up(callback[0])  # the report is done
    assert services.store.dispatch.state("v1").status == AVAILABLE


def test_a_call_back_nobody_answers_is_tried_again_then_a_text_is_sent(night):
    services, loop, network, _ = night
    book_a_call_back(network, loop, "+15155550101", answer_after_s=None)
    volunteer_calls_in(network, loop)
    for attempt in range(1, 4):
        drain(services.queue)  # dispatch: phone the chair
        loop.run(loop.now() + 90)  # it rings out
        if attempt < 3:
            entry = entry_of(services, "1001")
            assert entry["callback"]["attempts"] == attempt
            assert place_of(services, "1001") == 1
    drain(services.queue)  # the text message job
    assert place_of(services, "1001") is None
    assert [(m["to"], m["from"]) for m in network.messages] == [("+15155550101", "+15155550000")]
    assert network.messages[0]["body"].startswith(
        "The caucus results hotline could not reach you for precinct 1001."
    )
    assert services.store.dispatch.state("v1").status == AVAILABLE


# Twilio refusing one chair for good (finding 2)


def second_volunteer_calls_in(services, network, loop) -> SimCall:
    """Bob (v2) registers, phones the volunteer line and keys his PIN."""
    services.store.volunteers.add(
        "Bob",
        SECOND_VOLUNTEER_PHONE,
        lambda vid: volunteer_pin_digest(PIN_KEY, vid, SECOND_VOLUNTEER_PIN),
        author="test",
    )
    call = network.place_inbound(
        Person(SECOND_VOLUNTEER_PIN), SECOND_VOLUNTEER_PHONE, voice_url=VOLUNTEER_LINE
    )
    loop.run(loop.now() + 30)
    return call


def waiting_sid(services, precinct: str) -> str:
    return entry_of(services, precinct)["call_sid"]


def parked_record(services, call_sid: str) -> dict:
    return json.loads(services.store.redis.hget(keys.PARKED, call_sid))


def audited(services, action: str) -> list[audit.AuditEntry]:
    return [e for e in audit.recent(services.store.redis, 100) if e.action == action]


def test_a_call_back_twilio_refuses_parks_that_chair_and_the_next_is_put_through(night):
    """Finding 2: one bad call back stopped all dispatch. Twilio refused the call back
    (400, code 21215: a number the account may not dial); the pairing was undone and the
    job raised, the chair went back to the front, and every later dispatch failed on the
    same chair, while two volunteers sat free and a holding chair was never moved.
    """
    services, loop, network, _ = night
    redis = services.store.redis
    book_a_call_back(network, loop, "+15155550101", answer_after_s=6.0)  # 1001, first
    network.undialable.add("+15155550101")
    second, second_call = chair_calls(network, loop, "1002", "+15155550102")
    drain(services.queue)  # nobody on duty yet: nothing to do
    refused_sid = waiting_sid(services, "1001")
    entry = entry_of(services, "1001")
    place = redis.zscore(keys.LINE, refused_sid)
    volunteer_calls_in(network, loop)
    second_volunteer_calls_in(services, network, loop)
    assert free_volunteers(services) == 2
    dispatched_at = loop.now()

    drain(services.queue)  # the dispatch, then the text message it queued
    loop.run(loop.now() + 10)

    # The chair behind was put through, to the volunteer free longest.
    assert second.connected == [second_call.sid]
    assert second_call.conference.name == "volunteer-v1"
    assert services.store.dispatch.state("v1").precinct == "1002"
    assert redis.zrange(keys.FREE_VOLUNTEERS, 0, -1) == ["v2"]
    # The refused chair is parked, out of the line, with the precinct's place kept.
    reason = (
        "call +15155550101: Twilio answered 400 (code 21215): Unable to create record: "
        "Account not authorized to call +15155550101. Perhaps you need to enable some "
        "international permissions: https://www.twilio.com/console/voice/calls/"
        "geo-permissions/low-risk"
    )
    parked = parked_record(services, refused_sid)
    # The entry went through the pairing script, whose JSON keeps 14 significant digits.
    entry["callback"]["requested_at"] = pytest.approx(entry["callback"]["requested_at"])
    assert parked == {
        "call_sid": refused_sid,
        "precinct": "1001",
        "score": place,
        "entry": {**entry, "refusals": 1},
        "parked_at": dispatched_at,
        "what": "call-back",
        "reason": reason,
        "status": 400,
        "code": 21215,
    }
    assert redis.hkeys(keys.PARKED) == [refused_sid]
    assert (redis.zcard(keys.LINE), redis.hlen(keys.WAITING), redis.scard(keys.HOLDING)) == (
        0,
        0,
        0,
    )
    assert redis.hgetall(keys.PRECINCT_CALLS) == {"1001": "1"}
    assert redis.hgetall(keys.PRECINCT_PLACES) == {"1001": repr(place)}
    assert redis.hlen(keys.PAIRINGS) == 0
    assert [c for c in network.calls.values() if c.direction == "outbound-api"] == []
    # The admins are told, and the chair gets a text saying what to do.
    [told] = audited(services, "chair-parked")
    assert (told.target, told.author, told.reason) == ("1001", "dispatch", reason)
    assert told.details == {
        "call_sid": refused_sid,
        "what": "call-back",
        "status": 400,
        "code": 21215,
        "refusals": 1,
    }
    assert [(m["to"], m["from"], m["body"]) for m in network.messages] == [
        (
            "+15155550101",
            HOTLINE,
            "The caucus results hotline cannot call your number back for precinct 1001. "
            "Please call +15155550000 when you can: you keep your place in line.",
        )
    ]

    # No later dispatch fails on the parked chair, nor tries it again.
    network.hang_up(second_call)
    drain(services.queue)
    assert free_volunteers(services) == 2
    assert redis.hkeys(keys.PARKED) == [refused_sid]
    assert len(audited(services, "chair-parked")) == 1
    # As the text says: calling in again, the chair is back in the precinct's place.
    _, again = chair_calls(network, loop, "1001", "+15155550111")
    assert redis.zscore(keys.LINE, again.sid) == place
    assert redis.hgetall(keys.PRECINCT_CALLS) == {"1001": "2"}


def test_a_move_twilio_refuses_parks_the_holding_chair_until_they_hang_up(night):
    """Finding 2, for a chair holding in Twilio's queue: a Queue Member update refused for
    good parks the chair (the admins are told; the chair is on the line, so no text), and
    the next chair is moved. When the parked chair hangs up, their place is kept for a
    while, as for anyone who hangs up while waiting.
    """
    services, loop, network, flaky = night
    redis = services.store.redis
    first, first_call = chair_calls(network, loop, "1001", "+15155550101")
    second, second_call = chair_calls(network, loop, "1002", "+15155550102")
    drain(services.queue)
    place = redis.zscore(keys.LINE, first_call.sid)
    entry = entry_of(services, "1001")
    flaky.refusals[f"/Members/{first_call.sid}.json"] = ApiError(400, 20001, "Invalid request")
    volunteer_calls_in(network, loop)
    dispatched_at = loop.now()
    drain(services.queue)
    loop.run(loop.now() + 10)

    assert second.connected == [second_call.sid] and first.connected == []
    assert first_call.queue is not None  # still holding in Twilio's queue
    reason = (
        f"move {first_call.sid} out of {network.queues['chairs'].sid}: Twilio answered "
        "400 (code 20001): Unable to update record: Invalid request"
    )
    parked = parked_record(services, first_call.sid)
    assert parked == {
        "call_sid": first_call.sid,
        "precinct": "1001",
        "score": place,
        "entry": {**entry, "refusals": 1},
        "parked_at": dispatched_at,
        "what": "move",
        "reason": reason,
        "status": 400,
        "code": 20001,
    }
    assert [e.target for e in audited(services, "chair-parked")] == ["1001"]
    assert network.messages == []
    assert redis.hgetall(keys.PRECINCT_CALLS) == {"1001": "1"}
    assert redis.hgetall(keys.PRECINCT_PLACES) == {"1001": repr(place)}

    network.hang_up(first_call)
    assert redis.hlen(keys.PARKED) == 0
    assert redis.hlen(keys.PRECINCT_CALLS) == 0 and redis.hlen(keys.PRECINCT_PLACES) == 0
    assert float(redis.get(keys.kept_place("1001"))) == place
    assert redis.ttl(keys.kept_place("1001")) == 7200


def test_twilio_refusing_the_account_parks_nobody_and_the_retry_connects(night):
    """A 401 says nothing about the chair: parking for it would park the whole line, one
    chair per dispatch. Both go back where they were and RQ retries, as when Twilio cannot
    be reached.
    """
    services, loop, network, flaky = night
    volunteer_calls_in(network, loop)
    drain(services.queue)
    chair, chair_call = chair_calls(network, loop, "1001", "+15155550101")
    flaky.refusals[f"/Members/{chair_call.sid}.json"] = ApiError(401, 20003, "Authenticate")
    with pytest.raises(AccountRefused):
        drain(services.queue)
    assert services.store.redis.hlen(keys.PARKED) == 0
    assert place_of(services, "1001") == 1
    assert services.store.dispatch.state("v1").status == AVAILABLE
    flaky.refusals.clear()
    enqueue_dispatch(services)  # what RQ's retry does, later
    drain(services.queue)
    loop.run(loop.now() + 10)
    assert chair.connected == [chair_call.sid]


def test_a_second_chair_refused_the_same_way_in_one_run_is_not_parked_at_once(night):
    """Two chairs refused alike in one run point at the hotline's own configuration (a
    URL or number Twilio rejects for every call), which must not park the whole line in one
    go: the first is parked, the second goes back to their place and the job fails. Its
    retry parks the second too, and the line moves on.
    """
    services, loop, network, flaky = night
    redis = services.store.redis
    calls = [
        chair_calls(network, loop, precinct, phone)[1]
        for precinct, phone in (("1001", "+15155550101"), ("1002", "+15155550102"))
    ]
    third, third_call = chair_calls(network, loop, "77001", "+15155550103")
    drain(services.queue)
    for call in calls:
        flaky.refusals[f"/Members/{call.sid}.json"] = ApiError(400, 20001, "Invalid request")
    second_place = redis.zscore(keys.LINE, calls[1].sid)
    volunteer_calls_in(network, loop)

    with pytest.raises(TelephonyError) as raised:
        drain(services.queue)

    assert (raised.value.status, raised.value.code) == (400, 20001)
    assert redis.hkeys(keys.PARKED) == [calls[0].sid]
    assert redis.zrange(keys.LINE, 0, -1, withscores=True)[0] == (calls[1].sid, second_place)
    assert place_of(services, "1002") == 1
    assert services.store.dispatch.state("v1").status == AVAILABLE
    assert third.connected == []

    enqueue_dispatch(services)  # what RQ's retry does, later
    drain(services.queue)
    loop.run(loop.now() + 10)
    assert sorted(redis.hkeys(keys.PARKED)) == sorted(call.sid for call in calls)
    assert third.connected == [third_call.sid]
