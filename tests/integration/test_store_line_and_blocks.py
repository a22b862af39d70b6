"""The priority line, status callbacks, blocks and the audit trail against a real Redis."""

from __future__ import annotations

import json

from hotline.store import audit, keys
from tests.support.line import place_of

CHAIR = "+15155550101"


def join(services, precinct, sid, number=CHAIR, arrived_at=None):
    return services.store.line.join(
        now=services.clock.now(),
        precinct=precinct,
        call_sid=sid,
        number=number,
        verified_how="keyed-precinct",
        arrived_at=arrived_at,
    )


def end(services, sid, precinct, status="completed", sequence=None):
    return services.store.calls.end(
        now=services.clock.now(),
        call_sid=sid,
        status=status,
        sequence=sequence,
        duration_s=30,
        terminal=status in ("completed", "busy", "failed", "no-answer", "canceled"),
        precinct=precinct,
        keep_place_s=7200,
    )


def test_line_orders_chairs_by_arrival(services, clock):
    start = clock.now()
    assert join(services, "500", "CA5") == 1
    assert join(services, "500", "CA5") == 1  # the same call again: still one
    clock.advance(5)
    assert join(services, "300", "CA3") == 2
    clock.advance(5)
    # Proved by a call back: the place of the call that asked for it, before CA5 arrived.
    assert join(services, "100", "CA1", arrived_at=start - 60) == 1
    assert [c.precinct for c in services.store.line.waiting()] == ["100", "500", "300"]
    scores = dict(services.store.redis.zrange(keys.LINE, 0, -1, withscores=True))
    assert scores == {"CA1": start - 60, "CA5": start, "CA3": start + 5}
    assert place_of(services, "300") == 3
    assert services.store.redis.hgetall(keys.PRECINCT_CALLS) == {"500": "1", "300": "1", "100": "1"}


def test_abandoning_chair_leaves_the_line_and_gets_the_place_back(services, clock):
    join(services, "100", "CA1")
    clock.advance(10)
    join(services, "200", "CA2")
    first_score = services.store.redis.zscore(keys.LINE, "CA1")
    clock.advance(60)
    assert end(services, "CA1", "100").left_line
    assert place_of(services, "100") is None
    assert services.store.redis.hget(keys.WAITING, "CA1") is None
    assert services.store.redis.hget(keys.PRECINCT_PLACES, "100") is None
    assert float(services.store.redis.get(keys.kept_place("100"))) == first_score
    assert 7190 <= services.store.redis.ttl(keys.kept_place("100")) <= 7200
    clock.advance(300)
    assert join(services, "100", "CA9") == 1  # back in front of 200
    assert services.store.redis.zscore(keys.LINE, "CA9") == first_score
    assert services.store.redis.exists(keys.kept_place("100")) == 0


def test_a_second_call_for_a_waiting_precinct_waits_alongside_the_first(services, clock):
    """Finding 5: a second caller who verified the same precinct replaced the first, who
    kept hearing a place in line but was never put through.
    """
    join(services, "100", "CA1")
    score = services.store.redis.zscore(keys.LINE, "CA1")
    clock.advance(30)
    assert join(services, "100", "CA2") == 2
    redis = services.store.redis
    assert redis.zrange(keys.LINE, 0, -1, withscores=True) == [("CA1", score), ("CA2", score)]
    assert {json.loads(raw)["call_sid"] for raw in redis.hvals(keys.WAITING)} == {"CA1", "CA2"}
    assert redis.hgetall(keys.PRECINCT_CALLS) == {"100": "2"}
    # The older call ending leaves the line; the precinct keeps its place through the other.
    assert end(services, "CA1", "100").left_line
    assert redis.zrange(keys.LINE, 0, -1, withscores=True) == [("CA2", score)]
    assert redis.hgetall(keys.PRECINCT_PLACES) == {"100": repr(score)}
    assert redis.exists(keys.kept_place("100")) == 0
    # The last one ending keeps the place for a call back.
    assert end(services, "CA2", "100").left_line
    assert redis.hgetall(keys.PRECINCT_CALLS) == {}
    assert float(redis.get(keys.kept_place("100"))) == score


def test_status_callbacks_apply_once_and_in_sequence_order(services):
    services.store.calls.arrive(now=0, call_sid="CA1", number=CHAIR, request={})
    assert end(services, "CA1", None, status="in-progress", sequence=1).applied
    assert not end(services, "CA1", None, status="ringing", sequence=0).applied  # late, older
    assert end(services, "CA1", None, status="completed", sequence=3).applied
    assert not end(services, "CA1", None, status="completed", sequence=3).applied  # retry
    assert not end(services, "CA1", None, status="in-progress", sequence=2).applied
    record = services.store.calls.get("CA1")
    assert (record.status, record.duration_s) == ("completed", 30)
    assert services.store.redis.hget(keys.call("CA1"), "last_seq") == "3"


def test_block_with_expiry_unblock_and_audit(services, clock):
    blocks = services.store.blocks
    made = blocks.block(CHAIR, reason="abuse", author="ann", duration_s=3600, automatic=True)
    assert made.expires_at == clock.now() + 3600
    assert services.store.redis.hget(keys.caller(CHAIR), "temp_blocks") == "1"
    assert [b.target for b in blocks.active()] == [CHAIR]
    blocks.block("+1900*", reason="premium", author="bob")
    assert [b.target for b in blocks.active()] == ["+1900*", CHAIR]
    clock.advance(3600)
    assert [b.target for b in blocks.active()] == ["+1900*"]
    assert blocks.get(CHAIR) is None
    assert blocks.unblock("+1900*", author="bob", reason="over")
    assert not blocks.unblock("+1900*", author="bob")
    trail = [(e.action, e.target, e.author, e.reason) for e in audit.recent(services.store.redis)]
    assert trail == [  # the second unblock removed nothing, so it left no entry
        ("unblock", "+1900*", "bob", "over"),
        ("block", "+1900*", "bob", "premium"),
        ("block", CHAIR, "ann", "abuse"),
    ]
    assert audit.recent(services.store.redis)[-1].details == {
        "automatic": True,
        "expires_at": made.expires_at,
    }
