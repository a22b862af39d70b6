"""A number's standing: admin allows, volunteer flags, instant hang-ups; and flood mode."""

from __future__ import annotations

import redis

from hotline.clock import Clock
from hotline.store import audit, keys


class Reputation:
    def __init__(self, client: redis.Redis, clock: Clock, remember_s: float) -> None:
        self._redis = client
        self._clock = clock
        self._remember_s = remember_s

    def allow(self, number: str, *, author: str, reason: str = "") -> None:
        """An admin vouches for a number: it is never escalated (the PIN is still asked)."""
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.ALLOWED, number, repr(self._clock.now()))
            audit.record(pipe, self._clock.now(), "allow", number, author, reason)
            pipe.execute()

    def disallow(self, number: str, *, author: str, reason: str = "") -> None:
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hdel(keys.ALLOWED, number)
            audit.record(pipe, self._clock.now(), "disallow", number, author, reason)
            pipe.execute()

    def allowed(self, starting: str = "", limit: int = 50) -> list[tuple[str, float]]:
        """Numbers an admin allowed that start with `starting` ("+1515", or a whole number),
        by number, with when each was allowed: at most `limit` + 1, so the caller can tell
        there are more. `starting` is a "+" and digits, which the match takes literally.
        """
        found = []
        for number, at in self._redis.hscan_iter(keys.ALLOWED, match=f"{starting}*", count=500):
            found.append((number, float(at)))
            if len(found) > limit:
                break
        return sorted(found)

    def flag(
        self, number: str, *, author: str, reason: str = "", call_sid: str | None = None
    ) -> int:
        """A volunteer flags a number as a nuisance, on the call `call_sid` (named in the
        audit trail, for the volunteer time the night's report counts); returns its flags
        so far.
        """
        details = {"call_sid": call_sid} if call_sid else {}
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(keys.caller(number), "flags", 1)
            pipe.expire(keys.caller(number), round(self._remember_s))
            audit.record(pipe, self._clock.now(), "flag", number, author, reason, **details)
            flags, *_ = pipe.execute()
        return int(flags)

    def record_instant_hangup(
        self, number: str, call_sid: str, window_s: float, *, now: float
    ) -> int:
        """Count an instant hang-up at `now` (when the call ended); returns the
        number's hang-ups within the window. Idempotent per CallSid.
        """
        key = keys.caller_hangups(number)
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {call_sid: now})
            pipe.zremrangebyscore(key, "-inf", f"({now - window_s}")
            pipe.expire(key, int(window_s) + 1)
            pipe.zcard(key)
            *_, count = pipe.execute()
        return int(count)

    def set_flood(self, on: bool, *, author: str, reason: str = "") -> None:
        with self._redis.pipeline(transaction=True) as pipe:
            if on:
                pipe.set(keys.FLOOD, author)
            else:
                pipe.delete(keys.FLOOD)
            action = "flood-on" if on else "flood-off"
            audit.record(pipe, self._clock.now(), action, "*", author, reason)
            pipe.execute()

    def flood(self) -> bool:
        return bool(self._redis.exists(keys.FLOOD))

    def flood_switched_by(self) -> str | None:
        """Who switched flood mode on (a name, or "pin-alarm"); None when it is off."""
        return self._redis.get(keys.FLOOD)
