"""The priority line, PIN failures, blocks and the audit trail against a real Redis."""

from __future__ import annotations

import json

from hotline.store import audit, keys
from hotline.store.line import TIER_SPAN

CHAIR = "+15155550101"


def join(services, precinct, sid, number=CHAIR, tier=0):
    return services.store.line.join(
        now=services.clock.now(), precinct=precinct, call_sid=sid, number=number,
        verified_how="keyed-precinct", tier=tier,
    )  # fmt: skip


def end(services, sid, precinct, status="completed", sequence=None):
    return services.store.calls.end(
        now=services.clock.now(), call_sid=sid, status=status, sequence=sequence,
        duration_s=30, terminal=status in ("completed", "busy", "failed", "no-answer",
                                           "canceled"),
        precinct=precinct, keep_place_s=7200,
    )  # fmt: skip


def test_line_orders_verified_chairs_first_then_by_arrival(services, clock):
    assert join(services, "500", "CA5", tier=1) == 1
    clock.advance(5)
    assert join(services, "300", "CA3") == 1  # a verified chair goes ahead of tier 1
    clock.advance(5)
    assert join(services, "100", "CA1") == 2
    assert [c.precinct for c in services.store.line.waiting()] == ["300", "100", "500"]
    scores = dict(services.store.redis.zrange(keys.LINE, 0, -1, withscores=True))
    start = clock.now() - 10
    assert scores == {"300": start + 5, "100": start + 10, "500": TIER_SPAN + start}
    assert services.store.line.position("500") == 3


def test_abandoning_chair_leaves_the_line_and_gets_the_place_back(services, clock):
    join(services, "100", "CA1")
    clock.advance(10)
    join(services, "200", "CA2")
    first_score = services.store.redis.zscore(keys.LINE, "100")
    clock.advance(60)
    assert end(services, "CA1", "100").left_line
    assert services.store.line.position("100") is None
    assert services.store.redis.hget(keys.WAITING, "100") is None
    assert float(services.store.redis.get(keys.kept_place("100"))) == first_score
    assert 7190 <= services.store.redis.ttl(keys.kept_place("100")) <= 7200
    clock.advance(300)
    assert join(services, "100", "CA9") == 1  # back in front of 200
    assert services.store.redis.zscore(keys.LINE, "100") == first_score
    assert services.store.redis.exists(keys.kept_place("100")) == 0


def test_second_call_for_a_waiting_precinct_keeps_its_score(services, clock):
    join(services, "100", "CA1")
    score = services.store.redis.zscore(keys.LINE, "100")
    clock.advance(30)
    join(services, "100", "CA2")
    assert services.store.redis.zscore(keys.LINE, "100") == score
    assert json.loads(services.store.redis.hget(keys.WAITING, "100"))["call_sid"] == "CA2"
    # The older call ending does not take the precinct out of line.
    assert not end(services, "CA1", "100").left_line
    assert services.store.line.position("100") == 1


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


def test_pin_failures_count_per_number_within_the_window(services, clock):
    for attempt in range(1, 4):
        failures, temp_blocks = services.store.calls.pin_failed(
            now=clock.now(), call_sid="CA1", number=CHAIR, precinct="100", attempt=attempt
        )
        clock.advance(100)
    assert (failures, temp_blocks) == (3, 0)
    assert services.store.redis.get(keys.precinct_pin_failures("100")) == "3"
    clock.advance(3600)
    failures, _ = services.store.calls.pin_failed(
        now=clock.now(), call_sid="CA2", number=CHAIR, precinct="100", attempt=1
    )
    assert failures == 1


def test_withheld_pin_failures_share_one_budget(services, clock):
    for n in range(3):
        services.store.calls.pin_failed(
            now=clock.now(), call_sid=f"CA{n}", number=None, precinct="100", attempt=1
        )
    assert services.store.redis.zcard(keys.WITHHELD_PIN_FAILURES) == 3


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
        "automatic": True, "expires_at": made.expires_at,
    }  # fmt: skip
