"""Pairing waiting callers with free volunteers, against a real Redis, under concurrency."""

from __future__ import annotations

import json
import threading

from hotline.store import keys
from hotline.store.dispatch import AVAILABLE, CONNECTING, TALKING, Dispatch
from hotline.store.scripts import Scripts
from tests.support.redis_state import snapshot

T0 = 1_580_778_000.0


def dispatch_for(services) -> Dispatch:
    return Dispatch(services.store.redis, Scripts.register(services.store.redis))


def fill(services, *, chairs: int, volunteers: int) -> Dispatch:
    dispatch = dispatch_for(services)
    for n in range(chairs):
        # Every tenth chair joins late but keeps the place of an earlier call (a call
        # back's), to check the line goes by arrival, not by joining.
        services.store.line.join(
            now=T0 + n,
            precinct=f"{1000 + n}",
            call_sid=f"CA{n}",
            number=f"+1515555{n:04d}",
            verified_how="keyed-precinct",
            arrived_at=arrival(n),
        )
        services.store.line.holding(f"CA{n}")  # in Twilio's queue now
    for n in range(volunteers):
        dispatch.volunteer_ready(f"v{n}", call_sid=f"CV{n}", room=f"volunteer-v{n}", now=T0 + n)
    return dispatch


def pair_concurrently(dispatch: Dispatch, workers: int) -> list:
    pairings, lock = [], threading.Lock()

    def work() -> None:
        while (pairing := dispatch.pair(now=T0 + 5000)) is not None:
            with lock:
                pairings.append(pairing)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return pairings


def arrival(n: int) -> float:
    return T0 + n - (1000 if n % 10 == 1 else 0)


def expected_order(chairs: int) -> list[str]:
    return [f"{1000 + n}" for n in sorted(range(chairs), key=arrival)]


def test_many_dispatchers_never_hand_one_chair_to_two_volunteers(services):
    dispatch = fill(services, chairs=300, volunteers=50)
    pairings = pair_concurrently(dispatch, workers=8)
    volunteers = [p.volunteer for p in pairings]
    precincts = [p.precinct for p in pairings]
    assert sorted(volunteers) == sorted(f"v{n}" for n in range(50))  # each volunteer once
    assert len(set(precincts)) == 50  # no chair twice
    assert set(precincts) == set(expected_order(300)[:50])  # the 50 who arrived first
    redis = services.store.redis
    assert redis.zcard(keys.LINE) == 250 and redis.hlen(keys.WAITING) == 250  # none lost
    assert redis.zcard(keys.FREE_VOLUNTEERS) == 0
    assert redis.hlen(keys.PAIRINGS) == 50
    states = dispatch.states()
    assert {s.status for s in states.values()} == {CONNECTING}


def test_every_chair_is_served_once_in_priority_order_across_rounds(services):
    dispatch = fill(services, chairs=200, volunteers=20)
    served: list[str] = []
    now = T0 + 10_000
    while services.store.redis.zcard(keys.LINE):
        round_pairings = pair_concurrently(dispatch, workers=4)
        # Within a round the dispatchers race; across rounds the order must hold.
        served.extend(p.precinct for p in sorted(round_pairings, key=lambda p: p.score))
        for pairing in round_pairings:
            assert dispatch.confirm(
                pairing.volunteer, pairing.id, pairing.call_sid, precinct=pairing.precinct, now=now
            )
            assert dispatch.caller_left(pairing.volunteer, pairing.call_sid, now=now)
        now += 1
    assert served == expected_order(200)
    assert services.store.redis.hlen(keys.PAIRINGS) == 0


def test_longest_free_volunteer_gets_the_next_caller(services):
    dispatch = fill(services, chairs=1, volunteers=3)
    assert dispatch.pair(now=T0 + 100).volunteer == "v0"


def test_confirm_marks_the_volunteer_talking_and_the_call_answered(services):
    dispatch = fill(services, chairs=1, volunteers=1)
    pairing = dispatch.pair(now=T0 + 100)
    assert (pairing.precinct, pairing.call_sid, pairing.room) == ("1000", "CA0", "volunteer-v0")
    assert dispatch.confirm("v0", pairing.id, "CA0", precinct="1000", now=T0 + 101)
    state = dispatch.state("v0")
    assert (state.status, state.precinct, state.caller_call_sid) == (TALKING, "1000", "CA0")
    assert services.store.redis.hgetall(keys.call("CA0"))["volunteer"] == "v0"
    assert not dispatch.caller_left("v0", "CA-other", now=T0 + 200)  # someone else's call
    assert dispatch.caller_left("v0", "CA0", now=T0 + 200)
    assert dispatch.state("v0").status == AVAILABLE
    assert services.store.redis.zscore(keys.FREE_VOLUNTEERS, "v0") == T0 + 200


def test_undo_when_the_caller_is_gone_keeps_their_place_and_frees_the_volunteer(services):
    dispatch = fill(services, chairs=2, volunteers=1)
    pairing = dispatch.pair(now=T0 + 100)
    dispatch.undo_gone(pairing, keep_place_s=600)
    redis = services.store.redis
    assert redis.zscore(keys.FREE_VOLUNTEERS, "v0") == T0  # still first in line for callers
    assert float(redis.get(keys.kept_place(pairing.precinct))) == pairing.score
    assert pairing.precinct == "1001"  # it kept an earlier call's place
    assert redis.zrange(keys.LINE, 0, -1) == ["CA0"]
    assert dispatch.pair(now=T0 + 101).precinct == "1000"


def test_undo_for_a_retry_puts_both_back_exactly(services):
    dispatch = fill(services, chairs=2, volunteers=1)
    line_keys = (
        keys.LINE,
        keys.WAITING,
        keys.HOLDING,
        keys.PRECINCT_PLACES,
        keys.PRECINCT_CALLS,
        keys.FREE_VOLUNTEERS,
    )

    def line_state() -> dict:
        state = snapshot(services.store.redis)
        return {key: state.get(key) for key in line_keys}

    before = line_state()
    dispatch.undo_retry(dispatch.pair(now=T0 + 100))
    after = line_state()
    waiting = keys.WAITING
    assert {k: json.loads(v) for k, v in after.pop(waiting)[1].items()} == {
        k: json.loads(v) for k, v in before.pop(waiting)[1].items()
    }
    assert after == before
    assert dispatch.state("v0").status == AVAILABLE


def test_a_dead_dispatcher_is_recovered_without_double_pairing(services):
    dispatch = fill(services, chairs=1, volunteers=1)
    pairing = dispatch.pair(now=T0 + 100)  # ... and then the job died
    assert dispatch.stale_pairings(now=T0 + 110, older_than_s=30) == []
    stale = dispatch.stale_pairings(now=T0 + 130, older_than_s=30)
    assert stale == [pairing]
    assert dispatch.give_up(stale[0])
    assert not dispatch.give_up(stale[0])  # only once
    assert services.store.redis.zrange(keys.LINE, 0, -1) == ["CA0"]
    # The Queue Member update had in fact gone through: the caller turns up in the room.
    assert dispatch.confirm("v0", pairing.id, "CA0", precinct="1000", now=T0 + 131)
    redis = services.store.redis
    assert redis.zcard(keys.LINE) == 0 and redis.hlen(keys.WAITING) == 0
    assert redis.hlen(keys.PRECINCT_CALLS) == 0 and redis.hlen(keys.PRECINCT_PLACES) == 0
    assert redis.zcard(keys.FREE_VOLUNTEERS) == 0
    assert dispatch.state("v0").status == TALKING
    assert dispatch.pair(now=T0 + 132) is None


def test_a_replayed_confirmation_changes_nothing(services):
    """Finding 6: a replayed /voice/connect pulled a precinct out of the line."""
    dispatch = fill(services, chairs=2, volunteers=2)
    first = dispatch.pair(now=T0 + 100)
    assert dispatch.confirm(
        first.volunteer, first.id, first.call_sid, precinct=first.precinct, now=T0 + 101
    )
    before = snapshot(services.store.redis)
    # The same request again, and one naming a pairing that never was.
    assert not dispatch.confirm(
        first.volunteer, first.id, first.call_sid, precinct=first.precinct, now=T0 + 500
    )
    assert not dispatch.confirm("v1", "0123456789abcdef", "CA1", precinct="1001", now=T0 + 501)
    assert snapshot(services.store.redis) == before


def test_pausing_takes_a_volunteer_out_of_pairing(services):
    dispatch = fill(services, chairs=1, volunteers=1)
    assert dispatch.set_paused("v0", True, now=T0 + 50)
    assert dispatch.pair(now=T0 + 51) is None
    assert not dispatch.set_paused("v0", True, now=T0 + 52)
    assert dispatch.set_paused("v0", False, now=T0 + 53)
    assert dispatch.pair(now=T0 + 54).volunteer == "v0"


def test_a_volunteer_who_hangs_up_gets_no_callers(services):
    dispatch = fill(services, chairs=1, volunteers=1)
    assert dispatch.volunteer_left("v0", "CV0", now=T0 + 10)
    assert dispatch.pair(now=T0 + 11) is None
    assert dispatch.state("v0").status == "offline"


def test_a_call_that_only_claims_to_be_the_volunteers_does_not_take_them_off_duty(services):
    """A spoofer who called the volunteer line with a volunteer's number, then hung up,
    took the real volunteer off duty.
    """
    dispatch = fill(services, chairs=1, volunteers=1)
    assert not dispatch.volunteer_left("v0", "CA-spoofed", now=T0 + 10)
    assert dispatch.state("v0").status == AVAILABLE
    assert dispatch.pair(now=T0 + 11).volunteer == "v0"


def test_a_chair_still_hearing_verified_is_not_paired_until_holding(services):
    dispatch = dispatch_for(services)
    services.store.line.join(
        now=T0,
        precinct="1000",
        call_sid="CA0",
        number="+15155550000",
        verified_how="keyed-precinct",
    )
    dispatch.volunteer_ready("v0", call_sid="CV0", room="volunteer-v0", now=T0)
    assert dispatch.pair(now=T0 + 1) is None  # Twilio has not queued the call yet
    assert services.store.line.holding("CA0") == (1, True)
    assert services.store.line.holding("CA0") == (1, False)  # only the first time
    assert dispatch.pair(now=T0 + 2).precinct == "1000"
    assert services.store.redis.scard(keys.HOLDING) == 0
