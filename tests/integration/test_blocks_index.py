"""The blocks hash and its indexes against a real Redis (finding 6: the admin view read
and rendered the whole blocks hash every second, and expired blocks stayed in it unless
their number called again). Every test asserts the exact Redis state: the hash's fields
and each index's members.
"""

from __future__ import annotations

import json

from hotline.store import keys
from tests.support.redis_state import snapshot
from workers.housekeeping import Housekeeping
from workers.night_sample import sample_the_night
from workers.reconcile import reconcile_line
from workers.sweep_blocks import sweep_blocks

TROLL = "+17125550666"
OTHER = "+17125550777"
CHAIR = "+15155550100"


def state(services) -> dict[str, object]:
    """The hash's fields and each index's members with their scores."""
    redis = services.store.redis
    return {
        "hash": sorted(redis.hkeys(keys.BLOCKS)),
        "by_time": redis.zrange(keys.BLOCKS_BY_TIME, 0, -1, withscores=True),
        "by_expiry": redis.zrange(keys.BLOCKS_BY_EXPIRY, 0, -1, withscores=True),
        "by_target": redis.zrange(keys.BLOCKS_BY_TARGET, 0, -1),
    }


def arrive(services, sid: str, number: str):
    return services.store.calls.arrive(
        now=services.clock.now(), call_sid=sid, number=number, request={}
    )


def test_block_and_unblock_keep_the_indexes_with_the_hash(services, clock):
    """Finding 6: the indexes are written with the hash, in the same transaction."""
    blocks, t0 = services.store.blocks, clock.now()
    blocks.block(TROLL, reason="abuse", author="ann", duration_s=3600)
    clock.advance(10)
    blocks.block("+1900*", reason="premium", author="bob")
    assert state(services) == {
        "hash": [TROLL, "+1900*"],
        "by_time": [(TROLL, t0), ("+1900*", t0 + 10)],
        "by_expiry": [(TROLL, t0 + 3600)],
        "by_target": [TROLL, "+1900*"],
    }
    # A lasting block replacing a temporary one leaves the expiry index.
    clock.advance(10)
    blocks.block(TROLL, reason="again", author="ann")
    assert state(services)["by_expiry"] == []
    assert state(services)["by_time"] == [("+1900*", t0 + 10), (TROLL, t0 + 20)]

    assert blocks.unblock(TROLL, author="ann")
    assert blocks.unblock("+1900*", author="bob")
    assert state(services) == {"hash": [], "by_time": [], "by_expiry": [], "by_target": []}


def test_an_expired_block_dropped_at_arrival_leaves_every_index(services, clock):
    """Finding 6: arrive.lua removes an expired block on sight, from the indexes too."""
    blocks = services.store.blocks
    blocks.block(TROLL, reason="cool off", author="ann", duration_s=60)
    blocks.block(OTHER, reason="cool off", author="ann", duration_s=600)
    clock.advance(60)
    assert arrive(services, "CA1", TROLL).block is None
    assert state(services) == {
        "hash": [OTHER],
        "by_time": [(OTHER, clock.now() - 60)],
        "by_expiry": [(OTHER, clock.now() + 540)],
        "by_target": [OTHER],
    }


def test_prune_removes_exactly_the_expired_blocks(services, clock):
    """Finding 6: expired blocks are swept, whether or not their number calls again."""
    blocks, t0 = services.store.blocks, clock.now()
    blocks.block(TROLL, reason="a", author="ann", duration_s=60)
    blocks.block(OTHER, reason="b", author="ann", duration_s=120)
    blocks.block(CHAIR, reason="c", author="ann", duration_s=61)
    blocks.block("+1900*", reason="d", author="ann")
    clock.advance(60)
    assert blocks.prune(clock.now()) == 1  # expiring exactly now is expired, as at arrival
    assert state(services) == {
        "hash": [CHAIR, OTHER, "+1900*"],
        "by_time": [(CHAIR, t0), (OTHER, t0), ("+1900*", t0)],
        "by_expiry": [(CHAIR, t0 + 61), (OTHER, t0 + 120)],
        "by_target": [CHAIR, OTHER, "+1900*"],
    }
    assert blocks.prune(clock.now()) == 0
    clock.advance(1000)
    assert blocks.prune(clock.now()) == 2
    assert state(services) == {
        "hash": ["+1900*"],
        "by_time": [("+1900*", t0)],
        "by_expiry": [],
        "by_target": ["+1900*"],
    }


def test_prune_sweeps_more_than_one_batch(services, clock):
    blocks = services.store.blocks
    for i in range(1203):
        blocks.block(f"+1641555{i:04d}", reason="flood", author="auto", duration_s=60)
    blocks.block(CHAIR, reason="lasting", author="ann")
    clock.advance(60)
    assert blocks.prune(clock.now()) == 1203
    assert state(services)["hash"] == [CHAIR]
    assert state(services)["by_target"] == [CHAIR]


def test_blocks_written_before_the_indexes_are_indexed_and_pruned(services, clock):
    """Finding 6: hash entries with no index entries (written by the version before the
    indexes) are indexed by the first sweep: the expired ones removed, the rest listed.
    """
    redis, t0 = services.store.redis, clock.now()

    def legacy(target: str, expires_at: float | None) -> None:
        redis.hset(
            keys.BLOCKS,
            target,
            json.dumps(
                {
                    "reason": "old",
                    "author": "ann",
                    "created_at": t0 - 100,
                    "expires_at": expires_at,
                }
            ),
        )

    legacy(TROLL, t0 - 1)
    legacy(OTHER, t0 + 600)
    legacy("+1900*", None)
    services.store.blocks.block(CHAIR, reason="new", author="ann")
    assert services.store.blocks.prune(clock.now()) == 1
    assert state(services) == {
        "hash": [CHAIR, OTHER, "+1900*"],
        "by_time": [(OTHER, t0 - 100), ("+1900*", t0 - 100), (CHAIR, t0)],
        "by_expiry": [(OTHER, t0 + 600)],
        "by_target": [CHAIR, OTHER, "+1900*"],
    }
    assert [b.target for b in services.store.blocks.newest(10)] == [CHAIR, "+1900*", OTHER]


def test_newest_is_bounded_newest_first_and_skips_expired_blocks(services, clock):
    """Finding 6: the console reads the newest blocks, not the whole hash."""
    blocks = services.store.blocks
    for i in range(120):
        blocks.block(
            f"+1515555{i:04d}", reason="flood", author="auto", duration_s=30 if i % 2 else None
        )
        clock.advance(1)
    clock.advance(30)  # the odd ones have expired, and are not yet swept
    newest = blocks.newest(50)
    assert [b.target for b in newest] == [f"+1515555{i:04d}" for i in range(118, 18, -2)]
    assert blocks.count() == 60
    assert blocks.newest(500)[-1].target == "+15155550000"


def test_search_finds_numbers_and_prefixes_by_their_beginning(services, clock):
    """Finding 6: the admin finds any block by number or prefix, however many there are."""
    blocks = services.store.blocks
    for target in ("+15155550100", "+15155550101", "+1515*", "+1900*", "+17125550666", "+151*"):
        blocks.block(target, reason="x", author="ann")
    blocks.block("+15155550102", reason="x", author="ann", duration_s=10)
    clock.advance(10)

    def found(text: str, limit: int = 50) -> list[str]:
        return [b.target for b in blocks.search(text, limit)]

    assert found("+1515") == ["+151*", "+1515*", "+15155550100", "+15155550101"]
    # A whole number finds itself and the prefixes that block it.
    assert found("+15155550101") == ["+151*", "+1515*", "+15155550101"]
    assert found("+1900") == ["+1900*"]
    assert found("+1900555") == ["+1900*"]
    assert found("+44") == []
    assert found("") == []
    assert found("+15155550", limit=1) == ["+151*", "+1515*"]  # limit + 1: there are more


def test_the_housekeeping_sweeps_expired_blocks(services, clock, run_jobs):
    """Finding 6: "Expired blocks are swept by a periodic job": each round queues the
    sweep, and the sweep removes the expired blocks.
    """
    blocks = services.store.blocks
    blocks.block(TROLL, reason="a", author="ann", duration_s=60)
    blocks.block(OTHER, reason="b", author="ann")
    clock.advance(61)
    assert Housekeeping(services).tick()
    jobs = services.queue.get_jobs()
    assert [job.func for job in jobs] == [reconcile_line, sweep_blocks, sample_the_night]
    jobs[0].delete()  # the reconcile would ask Twilio (tests/integration/test_reconcile.py)

    run_jobs()

    assert jobs[1].return_value() == {"removed": 1}
    assert state(services)["hash"] == [OTHER]
    assert state(services)["by_expiry"] == []
    assert snapshot(services.store.redis, keys.BLOCKS) == {
        keys.BLOCKS: ("hash", {OTHER: services.store.blocks.get(OTHER).to_json()}),
    }
