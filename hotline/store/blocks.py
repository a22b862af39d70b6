"""Blocked numbers and prefixes, with reason, author and expiry.

The inbound script (lua/arrive.lua) reads the same hash: a number is rejected
when it, or any prefix of it written as "+1900*", has a block that has not
expired. Every change lands in the audit trail in the same transaction.

Three sorted sets index the hash, written in the same transaction as it (and by
arrive.lua when it drops an expired block), so that nobody need read the whole hash:
by creation time (the newest blocks, for the console), by expiry (the housekeeping's
sweep, prune()) and by target (finding the blocks that start with some digits).
Blocks written before the indexes existed are indexed by the first prune().
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import redis
from redis.commands.core import Script

from hotline.clock import Clock
from hotline.store import audit, keys
from hotline.store.scripts import Scripts

# The hash's indexes, in the order the scripts take them after the hash itself.
INDEXES = (keys.BLOCKS_BY_TIME, keys.BLOCKS_BY_EXPIRY, keys.BLOCKS_BY_TARGET)
# How many blocks one run of a script handles: Redis serves nobody else meanwhile.
BATCH = 500


@dataclass(frozen=True)
class Block:
    target: str
    reason: str
    author: str
    created_at: float
    expires_at: float | None

    @property
    def is_prefix(self) -> bool:
        return self.target.endswith("*")

    def active(self, now: float) -> bool:
        return self.expires_at is None or self.expires_at > now

    def to_json(self) -> str:
        return json.dumps(
            {
                "reason": self.reason,
                "author": self.author,
                "created_at": self.created_at,
                "expires_at": self.expires_at,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, target: str, raw: str) -> Block:
        data = json.loads(raw)
        return cls(
            target=target,
            reason=data["reason"],
            author=data["author"],
            created_at=float(data["created_at"]),
            expires_at=None if data.get("expires_at") is None else float(data["expires_at"]),
        )


class Blocks:
    def __init__(
        self, client: redis.Redis, scripts: Scripts, clock: Clock, remember_caller_s: float
    ) -> None:
        self._redis = client
        self._prune: Script = scripts.prune_blocks
        self._index: Script = scripts.index_blocks
        self._clock = clock
        self._remember_caller_s = remember_caller_s

    def block(
        self,
        target: str,
        *,
        reason: str,
        author: str,
        duration_s: float | None = None,
        automatic: bool = False,
    ) -> Block:
        """Block a normalised number or prefix; a later block replaces an earlier one.

        An automatic temporary block also counts towards the number's
        escalation to a lasting block.
        """
        now = self._clock.now()
        block = Block(
            target=target,
            reason=reason,
            author=author,
            created_at=now,
            expires_at=None if duration_s is None else now + duration_s,
        )
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.BLOCKS, target, block.to_json())
            pipe.zadd(keys.BLOCKS_BY_TIME, {target: now})
            if block.expires_at is None:
                pipe.zrem(keys.BLOCKS_BY_EXPIRY, target)  # a lasting block replaces a temporary one
            else:
                pipe.zadd(keys.BLOCKS_BY_EXPIRY, {target: block.expires_at})
            pipe.zadd(keys.BLOCKS_BY_TARGET, {target: 0})
            if automatic and duration_s is not None and not block.is_prefix:
                pipe.hincrby(keys.caller(target), "temp_blocks", 1)
                pipe.expire(keys.caller(target), round(self._remember_caller_s))
            audit.record(
                pipe,
                now,
                "block",
                target,
                author,
                reason,
                expires_at=block.expires_at,
                automatic=automatic,
            )
            pipe.execute()
        return block

    def unblock(self, target: str, *, author: str, reason: str = "") -> bool:
        """Remove a block; True if there was one. Only a real removal is audited."""
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hdel(keys.BLOCKS, target)
            for index in INDEXES:
                pipe.zrem(index, target)
            removed = pipe.execute()[0]
        if not removed:
            return False
        with self._redis.pipeline(transaction=True) as pipe:
            audit.record(pipe, self._clock.now(), "unblock", target, author, reason)
            pipe.execute()
        return True

    def get(self, target: str) -> Block | None:
        raw = self._redis.hget(keys.BLOCKS, target)
        if raw is None:
            return None
        block = Block.from_json(target, raw)
        return block if block.active(self._clock.now()) else None

    def active(self) -> list[Block]:
        """Every block in force, prefixes first, then by number; expired ones are skipped.

        Reads the whole hash: for the command line, not for a page that refreshes itself
        (newest() and search() read only what they show).
        """
        now = self._clock.now()
        blocks = [Block.from_json(t, raw) for t, raw in self._redis.hgetall(keys.BLOCKS).items()]
        live = [b for b in blocks if b.active(now)]
        return sorted(live, key=lambda b: (not b.is_prefix, b.target))

    def count(self) -> int:
        """How many blocks are in force (expired ones the sweep has not yet removed are
        not counted; blocks written before the indexes are, expired or not, until the
        first sweep has indexed them).
        """
        with self._redis.pipeline(transaction=False) as pipe:
            pipe.hlen(keys.BLOCKS)
            pipe.zcount(keys.BLOCKS_BY_EXPIRY, "-inf", self._clock.now())
            total, expired = pipe.execute()
        return max(total - expired, 0)

    def newest(self, limit: int) -> list[Block]:
        """The `limit` blocks in force made most recently, newest first."""
        now = self._clock.now()
        found: list[Block] = []
        start = 0
        while len(found) < limit:
            # Expired blocks wait in the index until the sweep: read a little more than asked.
            page = self._redis.zrevrange(keys.BLOCKS_BY_TIME, start, start + limit * 2 - 1)
            if not page:
                break
            found += [b for b in self._load(page) if b.active(now)]
            start += len(page)
        return found[:limit]

    def search(self, text: str, limit: int) -> list[Block]:
        """Blocks in force whose number or prefix starts with `text` ("+1515" finds
        "+15155550100" and "+1515*"), and the prefixes that would block a number starting
        with it ("+1515555" finds "+1515*"): prefixes first, then by number; at most
        `limit` + 1, so the caller can tell there are more.
        """
        if not text:
            return []
        covering = [text[:end] + "*" for end in range(len(text), 1, -1)]
        start = text.encode()
        starting = self._redis.zrangebylex(
            keys.BLOCKS_BY_TARGET, b"[" + start, b"[" + start + b"\xff", start=0, num=limit + 1
        )
        now = self._clock.now()
        found = [b for b in self._load([*covering, *starting]) if b.active(now)]
        unique = {b.target: b for b in found}.values()
        return sorted(unique, key=lambda b: (not b.is_prefix, b.target))[: limit + 1]

    def prune(self, now: float) -> int:
        """Remove the blocks that expired by `now` from the hash and its indexes; returns
        how many. Indexes first any block written before the indexes existed.
        """
        self._index_unindexed()
        removed = 0
        while True:
            gone, looked_at = self._prune(keys=[keys.BLOCKS, *INDEXES], args=[repr(now), BATCH])
            removed += gone
            if looked_at < BATCH:
                return removed

    def _index_unindexed(self) -> int:
        """Index the hash's fields that no index knows (blocks older than the indexes);
        a no-op, one round trip, once every block is indexed.
        """
        with self._redis.pipeline(transaction=False) as pipe:
            pipe.hlen(keys.BLOCKS)
            pipe.zcard(keys.BLOCKS_BY_TIME)
            in_hash, indexed = pipe.execute()
        if in_hash <= indexed:
            return 0
        added = 0
        cursor = 0
        while True:
            cursor, fields = self._redis.hscan(keys.BLOCKS, cursor, count=BATCH)
            targets = list(fields)
            if targets:
                scores = self._redis.zmscore(keys.BLOCKS_BY_TIME, targets)
                missing = [t for t, score in zip(targets, scores, strict=True) if score is None]
                if missing:
                    added += self._index(keys=[keys.BLOCKS, *INDEXES], args=missing)
            if cursor == 0:
                return added

    def _load(self, targets: list[str]) -> list[Block]:
        """The blocks of `targets` that are in the hash, in that order."""
        if not targets:
            return []
        raws = self._redis.hmget(keys.BLOCKS, targets)
        return [
            Block.from_json(t, raw) for t, raw in zip(targets, raws, strict=True) if raw is not None
        ]
