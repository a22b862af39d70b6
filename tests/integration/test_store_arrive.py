"""The inbound script against a real Redis: counts, windows, expiries, blocks, facts."""

from __future__ import annotations

import json

from hotline.store import keys
from hotline.store.calls import CALL_RECORD_TTL_S
from tests.support.roster import load_small_roster

TROLL = "+17125550666"


def arrive(services, sid, number=TROLL, **request):
    return services.store.calls.arrive(
        now=services.clock.now(), call_sid=sid, number=number, request=request
    )


def test_first_call_counts_once_and_returns_plain_facts(services):
    arrival = arrive(services, "CA1")
    facts = arrival.facts
    assert arrival.block is None
    assert (facts.number, facts.calls_short, facts.calls_long) == (TROLL, 1, 1)
    assert (facts.instant_hangups_long, facts.flags) == (0, 0)
    assert facts.chair_precinct is None and not facts.verified_recently
    assert facts.calls_this_minute == 1 and not facts.flood_switch
    redis = services.store.redis
    assert redis.zrange(keys.caller_calls(TROLL), 0, -1, withscores=True) == [
        ("CA1", services.clock.now())
    ]
    assert redis.ttl(keys.caller_calls(TROLL)) == 3600
    assert redis.lrange(keys.RECENT_CALLS, 0, -1) == ["CA1"]
    record = redis.hgetall(keys.call("CA1"))
    assert record["from"] == TROLL
    assert float(record["started_at"]) == services.clock.now()
    assert json.loads(record["facts"])["calls_long"] == 1


def test_twilio_retry_of_the_same_call_is_not_counted_twice(services):
    arrive(services, "CA1")
    again = arrive(services, "CA1").facts
    assert (again.calls_short, again.calls_long, again.calls_this_minute) == (1, 1, 1)
    assert services.store.redis.lrange(keys.RECENT_CALLS, 0, -1) == ["CA1"]


def test_short_and_long_windows_slide_with_the_clock(services, clock):
    for n in range(5):
        arrive(services, f"CA{n}")
        clock.advance(240)  # a call every 4 minutes
    # Calls at 0, 4, 8, 12, 16 min; now 20 min: the 15-min window holds 8, 12, 16 and this one.
    facts = arrive(services, "CA5").facts
    assert (facts.calls_short, facts.calls_long) == (4, 6)
    clock.advance(3600 - 20 * 60 + 1)  # the first call is now older than an hour
    facts = arrive(services, "CA6").facts
    assert facts.calls_long == 6
    assert services.store.redis.zscore(keys.caller_calls(TROLL), "CA0") is None


def test_exact_block_rejects_before_counting(services):
    services.store.blocks.block(TROLL, reason="test", author="ann")
    arrival = arrive(services, "CA1")
    assert arrival.facts is None
    assert (arrival.block.target, arrival.block.reason, arrival.block.author) == (
        TROLL,
        "test",
        "ann",
    )
    assert services.store.redis.exists(keys.caller_calls(TROLL)) == 0
    record = services.store.calls.get("CA1")
    assert record.verdict == "reject"
    assert record.reasons == (f"blocked ({TROLL}): test",)


def test_prefix_block_matches_longest_prefix_down_to_two_digits(services):
    services.store.blocks.block("+1712*", reason="area code flood", author="ann")
    assert arrive(services, "CA1").block.target == "+1712*"
    assert arrive(services, "CA2", number="+15155550100").block is None


def test_expired_block_is_removed_on_sight(services, clock):
    services.store.blocks.block(TROLL, reason="cool off", author="ann", duration_s=60)
    assert arrive(services, "CA1").block is not None
    clock.advance(60)
    assert arrive(services, "CA2").block is None
    assert services.store.redis.hexists(keys.BLOCKS, TROLL) == 0


def test_registered_chair_phone_and_reputation_are_facts(services, clock):
    load_small_roster(services)
    chair = arrive(services, "CA1", number="+15155550177").facts
    assert chair.chair_precinct == "77001"
    services.store.redis.hset(
        keys.caller(TROLL),
        mapping={"flags": 2, "temp_blocks": 1, "verified_at": clock.now() - 10},
    )
    services.store.reputation.allow(TROLL, author="erin")
    facts = arrive(services, "CA2").facts
    assert (facts.flags, facts.temp_blocks, facts.admin_allowed) == (2, 1, True)
    assert facts.verified_recently


def test_withheld_callers_share_no_per_number_counters(services):
    first = arrive(services, "CA1", number=None).facts
    second = arrive(services, "CA2", number=None).facts
    assert first.number is None and second.number is None
    assert (second.calls_short, second.calls_long) == (1, 1)
    assert second.calls_this_minute == 2
    assert services.store.redis.keys("hotline:caller:*") == []


def test_flood_switch_and_request_details_reach_the_facts(services):
    services.store.reputation.set_flood(True, author="ann")
    facts = arrive(services, "CA1", stir_verstat="TN-Validation-Failed-C", from_state="NE").facts
    assert facts.flood_switch
    assert (facts.stir_verstat, facts.from_state) == ("TN-Validation-Failed-C", "NE")


def test_calls_are_indexed_by_the_time_they_started_for_as_long_as_their_records(services, clock):
    """The night's report finds a night's calls here: the capped list of recent calls holds
    10,000, fewer than a flood places in a night.
    """
    redis, ttl = services.store.redis, CALL_RECORD_TTL_S
    arrive(services, "CA1")
    arrive(services, "CA1")  # Twilio retries the webhook: still one call, at its first time
    first = clock.now()
    clock.advance(60)
    arrive(services, "CA2")
    services.store.blocks.block(TROLL, reason="test", author="ann")
    clock.advance(60)
    arrive(services, "CA3")  # rejected: still a call on record
    services.store.calls.record_leg(
        now=clock.now(),
        call_sid="CA4",
        number="+15155550999",
        kind="volunteer",
        verdict="volunteer",
        volunteer_id="v1",
    )
    assert redis.zrange(keys.CALLS_BY_TIME, 0, -1, withscores=True) == [
        ("CA1", first),
        ("CA2", first + 60),
        ("CA3", first + 120),
        ("CA4", first + 120),
    ]
    assert redis.ttl(keys.CALLS_BY_TIME) == ttl
    assert [r.call_sid for r in services.store.calls.between(first + 60, first + 120)] == ["CA2"]
    assert [r.verdict for r in services.store.calls.between(first, first + 121)] == [
        None,
        None,
        "reject",
        "volunteer",
    ]

    clock.advance(ttl - 119)  # CA1's record has expired; CA2's lives another 59 s
    arrive(services, "CA5", number="+17125550100")
    assert redis.zrange(keys.CALLS_BY_TIME, 0, 0) == ["CA2"]
