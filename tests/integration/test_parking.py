"""Parking a chair Twilio refused for good, and putting them back, against a real Redis
(finding 2: one bad call back stopped all dispatch).
"""

from __future__ import annotations

import json

import pytest

from hotline.store import audit, keys
from hotline.store.dispatch import AVAILABLE
from hotline.store.parked import CALL_BACK, MOVE, Refusal
from tests.support.redis_state import snapshot

CHAIR, OTHER_CHAIR, HOTLINE = "+15155550101", "+15155550102", "+15155550000"
REFUSED_MOVE = Refusal(
    what=MOVE,
    message="move CA1 out of QU1: Twilio answered 400 (code 20001): Invalid request",
    status=400,
    code=20001,
)
REFUSED_CALL_BACK = Refusal(
    what=CALL_BACK,
    message="call +15155550101: Twilio answered 400 (code 21215): Account not authorized",
    status=400,
    code=21215,
)
# Everything the line is made of.
LINE_KEYS = (
    keys.LINE,
    keys.WAITING,
    keys.HOLDING,
    keys.PRECINCT_PLACES,
    keys.PRECINCT_CALLS,
    keys.FREE_VOLUNTEERS,
    keys.PAIRINGS,
    keys.PARKED,
)


def join(services, precinct: str, sid: str, number: str = CHAIR) -> None:
    """A chair verifies and holds in Twilio's queue."""
    services.store.line.join(
        now=services.clock.now(),
        precinct=precinct,
        call_sid=sid,
        number=number,
        verified_how="keyed-precinct",
        hotline_number=HOTLINE,
    )
    services.store.line.holding(sid)


@pytest.fixture
def line(services, clock):
    """Chair 1001 (CA1) first in line, 1002 (CA2) ten seconds behind, volunteer v0 free."""
    join(services, "1001", "CA1")
    clock.advance(10)
    join(services, "1002", "CA2", OTHER_CHAIR)
    services.store.dispatch.volunteer_ready(
        "v0", call_sid="CV0", room="volunteer-v0", now=clock.now()
    )
    clock.advance(20)
    return services.store.dispatch


def line_state(services) -> dict:
    state = snapshot(services.store.redis)
    return {key: state.get(key) for key in LINE_KEYS}


def entry(services, sid: str) -> dict:
    return json.loads(services.store.redis.hget(keys.WAITING, sid))


def test_a_refused_chair_is_parked_with_the_place_kept_and_the_volunteer_freed(
    services, clock, line
):
    redis = services.store.redis
    first_place, second_place = redis.zscore(keys.LINE, "CA1"), redis.zscore(keys.LINE, "CA2")
    waiting_entry = entry(services, "CA1")
    pairing = line.pair(now=clock.now())
    assert pairing.call_sid == "CA1"
    clock.advance(1)

    chair = line.park(pairing, REFUSED_MOVE, now=clock.now())

    assert (chair.call_sid, chair.precinct, chair.score, chair.refusals) == (
        "CA1",
        "1001",
        first_place,
        1,
    )
    assert json.loads(redis.hget(keys.PARKED, "CA1")) == {
        "call_sid": "CA1",
        "precinct": "1001",
        "score": first_place,
        "entry": {**waiting_entry, "refusals": 1},
        "parked_at": clock.now(),
        "what": "move",
        "reason": REFUSED_MOVE.message,
        "status": 400,
        "code": 20001,
    }
    assert redis.zrange(keys.LINE, 0, -1, withscores=True) == [("CA2", second_place)]
    assert redis.hkeys(keys.WAITING) == ["CA2"]
    assert redis.smembers(keys.HOLDING) == {"CA2"}
    assert redis.hgetall(keys.PRECINCT_CALLS) == {"1001": "1", "1002": "1"}
    assert redis.hgetall(keys.PRECINCT_PLACES) == {
        "1001": repr(first_place),
        "1002": repr(second_place),
    }
    assert redis.hlen(keys.PAIRINGS) == 0
    # The volunteer is free again, first in line for the next caller.
    assert redis.zrange(keys.FREE_VOLUNTEERS, 0, -1, withscores=True) == [("v0", second_place)]
    assert line.state("v0").status == AVAILABLE
    [told] = audit.recent(redis, 1)
    assert (told.action, told.target, told.author, told.reason, told.at) == (
        "chair-parked",
        "1001",
        "dispatch",
        REFUSED_MOVE.message,
        clock.now(),
    )
    assert told.details == {
        "call_sid": "CA1",
        "what": "move",
        "status": 400,
        "code": 20001,
        "refusals": 1,
    }
    assert services.store.parked.all() == [chair]


def test_a_parked_chair_is_never_paired_again(services, clock, line):
    line.park(line.pair(now=clock.now()), REFUSED_MOVE, now=clock.now())
    assert line.pair(now=clock.now()).call_sid == "CA2"
    services.store.dispatch.volunteer_ready(
        "v1", call_sid="CV1", room="volunteer-v1", now=clock.now()
    )
    assert line.pair(now=clock.now()) is None  # v1 is free, and only the parked chair is left
    assert services.store.redis.zrange(keys.FREE_VOLUNTEERS, 0, -1) == ["v1"]


def test_a_call_that_verifies_for_a_parked_precinct_waits_in_its_place(services, clock, line):
    redis = services.store.redis
    place = redis.zscore(keys.LINE, "CA1")
    line.park(line.pair(now=clock.now()), REFUSED_CALL_BACK, now=clock.now())
    clock.advance(300)
    join(services, "1001", "CA3")  # the chair calls in again, as their text tells them
    assert redis.zrange(keys.LINE, 0, -1, withscores=True)[0] == ("CA3", place)
    assert redis.hgetall(keys.PRECINCT_CALLS) == {"1001": "2", "1002": "1"}


def test_putting_a_chair_back_restores_the_line_exactly(services, clock, line):
    redis = services.store.redis
    before = line_state(services)
    chair = line.park(line.pair(now=clock.now()), REFUSED_MOVE, now=clock.now())
    clock.advance(60)

    assert services.store.parked.put_back("CA1", author="boss", reason="fixed") == chair

    after = line_state(services)
    # The same line, the volunteer free as before; the entry now counts the refusal.
    waiting_before = {sid: json.loads(raw) for sid, raw in before.pop(keys.WAITING)[1].items()}
    waiting_after = {sid: json.loads(raw) for sid, raw in after.pop(keys.WAITING)[1].items()}
    assert waiting_after == {**waiting_before, "CA1": {**waiting_before["CA1"], "refusals": 1}}
    assert after == before
    [told] = audit.recent(redis, 1)
    assert (told.action, told.target, told.author, told.reason, told.at, told.details) == (
        "chair-put-back",
        "1001",
        "boss",
        "fixed",
        clock.now(),
        {"call_sid": "CA1"},
    )
    assert services.store.parked.put_back("CA1", author="boss") is None  # only once
    assert len(audit.recent(redis, 10)) == 2
    # Tried again first; refused again, the count goes on.
    pairing = line.pair(now=clock.now())
    assert pairing.call_sid == "CA1"
    assert line.park(pairing, REFUSED_MOVE, now=clock.now()).refusals == 2


def test_a_call_back_chair_put_back_is_called_back_not_moved(services, clock, line):
    redis = services.store.redis
    assert services.store.line.request_callback("CA1", now=clock.now())
    redis.srem(keys.HOLDING, "CA1")  # hung up to be called back: no longer in Twilio's queue
    line.park(line.pair(now=clock.now()), REFUSED_CALL_BACK, now=clock.now())
    services.store.parked.put_back("CA1", author="boss")
    assert redis.smembers(keys.HOLDING) == {"CA2"}
    assert entry(services, "CA1")["callback"] == {"requested_at": clock.now(), "attempts": 0}
    assert line.pair(now=clock.now()).call_sid == "CA1"


def test_parking_a_pairing_given_up_meanwhile_changes_nothing(services, clock, line):
    pairing = line.pair(now=clock.now())
    clock.advance(60)
    assert line.give_up(pairing)  # a dispatcher thought the first one dead
    before = snapshot(services.store.redis)
    assert line.park(pairing, REFUSED_MOVE, now=clock.now()) is None
    assert snapshot(services.store.redis) == before


def end(services, sid: str, precinct: str):
    return services.store.calls.end(
        now=services.clock.now(),
        call_sid=sid,
        status="completed",
        sequence=None,
        duration_s=120,
        terminal=True,
        precinct=precinct,
        keep_place_s=7200,
    )


def test_a_parked_holding_chair_who_hangs_up_leaves_with_the_place_kept(services, clock, line):
    redis = services.store.redis
    place = redis.zscore(keys.LINE, "CA1")
    line.park(line.pair(now=clock.now()), REFUSED_MOVE, now=clock.now())
    clock.advance(60)
    assert end(services, "CA1", "1001").left_line
    assert redis.hlen(keys.PARKED) == 0
    assert redis.hgetall(keys.PRECINCT_CALLS) == {"1002": "1"}
    assert list(redis.hgetall(keys.PRECINCT_PLACES)) == ["1002"]
    assert float(redis.get(keys.kept_place("1001"))) == place
    assert redis.ttl(keys.kept_place("1001")) == 7200


def test_a_parked_chair_waiting_for_a_call_back_stays_parked_when_their_old_call_ends(
    services, clock, line
):
    redis = services.store.redis
    assert services.store.line.request_callback("CA1", now=clock.now())
    line.park(line.pair(now=clock.now()), REFUSED_CALL_BACK, now=clock.now())
    before = redis.hgetall(keys.PARKED)
    assert not end(services, "CA1", "1001").left_line  # hung up on purpose, to be called back
    assert redis.hgetall(keys.PARKED) == before
    assert redis.hgetall(keys.PRECINCT_CALLS) == {"1001": "1", "1002": "1"}
