"""The priority line of verified chairs waiting for a volunteer.

A sorted set of precinct codes. The score is tier * TIER_SPAN + arrival time,
so every verified chair comes before any lower tier, and within a tier the
earlier arrival is served first. A chair who hangs up keeps their score for
a while (lua/call_ended.lua) and gets it back on calling again (lua/verified.lua).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import redis

from hotline.store import keys
from hotline.store.scripts import Scripts

# Larger than any epoch-seconds arrival time for centuries.
TIER_SPAN = 1e11
TIER_VERIFIED_CHAIR = 0


@dataclass(frozen=True)
class WaitingChair:
    precinct: str
    call_sid: str
    number: str | None
    verified_how: str
    since: float
    score: float


def score_for(tier: int, arrived_at: float) -> float:
    return tier * TIER_SPAN + arrived_at


class Line:
    def __init__(self, client: redis.Redis, scripts: Scripts) -> None:
        self._redis = client
        self._scripts = scripts

    def join(
        self,
        *,
        now: float,
        precinct: str,
        call_sid: str,
        number: str | None,
        verified_how: str,
        tier: int = TIER_VERIFIED_CHAIR,
        hotline_number: str | None = None,
    ) -> int:
        """Put a verified chair's precinct in line; returns their 1-based position.

        `hotline_number` is the number they called, the caller ID of a call back.
        """
        entry = json.dumps(
            {"call_sid": call_sid, "number": number, "verified_how": verified_how, "since": now,
             "to": hotline_number},
            sort_keys=True,
        )  # fmt: skip
        caller_key = keys.caller(number) if number else keys.caller("withheld")
        return int(
            self._scripts.verified(
                keys=[keys.LINE, keys.WAITING, keys.kept_place(precinct), keys.call(call_sid),
                      caller_key],
                args=[repr(now), precinct, repr(score_for(tier, now)), entry, number or ""],
            )
        )  # fmt: skip

    def request_callback(self, precinct: str, call_sid: str, *, now: float) -> bool:
        """The waiting chair on `call_sid` asked to be called back, keeping their place.

        False when that call is not the one waiting for the precinct, or has no number
        to call back.
        """

        def change(pipe: redis.client.Pipeline) -> bool:
            raw = pipe.hget(keys.WAITING, precinct)
            entry = json.loads(raw) if raw else None
            if not entry or entry.get("call_sid") != call_sid or not entry.get("number"):
                return False
            entry["callback"] = {"requested_at": now, "attempts": 0}
            pipe.multi()
            pipe.hset(keys.WAITING, precinct, json.dumps(entry, sort_keys=True))
            return True

        return self._redis.transaction(change, keys.WAITING, value_from_callable=True)

    def holding(self, precinct: str, call_sid: str) -> tuple[int | None, bool]:
        """The chair's call is in Twilio's queue (its wait URL was requested).

        Returns their 1-based place (None when not waiting) and whether this is the
        first time the call was seen holding: only then can a dispatch reach it.
        """
        position, first = self._scripts.holding(keys=[keys.LINE, keys.WAITING, keys.HOLDING],
                                                args=[precinct, call_sid])  # fmt: skip
        return (int(position) or None), bool(first)

    def position(self, precinct: str) -> int | None:
        """1-based place in line, or None when the precinct is not waiting."""
        rank = self._redis.zrank(keys.LINE, precinct)
        return None if rank is None else rank + 1

    def waiting(self, limit: int = 100) -> list[WaitingChair]:
        """The first `limit` waiting chairs, in the order they will be served."""
        ranked = self._redis.zrange(keys.LINE, 0, limit - 1, withscores=True)
        if not ranked:
            return []
        entries = self._redis.hmget(keys.WAITING, [code for code, _ in ranked])
        chairs = []
        for (code, score), raw in zip(ranked, entries, strict=True):
            if raw is None:
                continue
            entry = json.loads(raw)
            chairs.append(
                WaitingChair(
                    precinct=code,
                    call_sid=entry["call_sid"],
                    number=entry["number"],
                    verified_how=entry["verified_how"],
                    since=float(entry["since"]),
                    score=score,
                )
            )
        return chairs

    def size(self) -> int:
        return self._redis.zcard(keys.LINE)
