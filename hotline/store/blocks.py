"""Blocked numbers and prefixes, with reason, author and expiry.

The inbound script (lua/arrive.lua) reads the same hash: a number is rejected
when it, or any prefix of it written as "+1900*", has a block that has not
expired. Every change lands in the audit trail in the same transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import redis

from hotline.clock import Clock
from hotline.store import audit, keys


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
    def __init__(self, client: redis.Redis, clock: Clock, remember_caller_s: float) -> None:
        self._redis = client
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
            if automatic and duration_s is not None and not block.is_prefix:
                pipe.hincrby(keys.caller(target), "temp_blocks", 1)
                pipe.expire(keys.caller(target), round(self._remember_caller_s))
            audit.record(pipe, now, "block", target, author, reason,
                         expires_at=block.expires_at, automatic=automatic)  # fmt: skip
            pipe.execute()
        return block

    def unblock(self, target: str, *, author: str, reason: str = "") -> bool:
        """Remove a block; True if there was one. Only a real removal is audited."""
        if not self._redis.hdel(keys.BLOCKS, target):
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
        """Blocks in force, prefixes first, then by number; expired ones are skipped."""
        now = self._clock.now()
        blocks = [Block.from_json(t, raw) for t, raw in self._redis.hgetall(keys.BLOCKS).items()]
        live = [b for b in blocks if b.active(now)]
        return sorted(live, key=lambda b: (not b.is_prefix, b.target))
