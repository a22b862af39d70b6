"""Console sign-in attempts, counted per key in a sliding window (lua/sign_in_attempt.lua).

An attempt is recorded as a failure before its password is checked, and each key's
earlier entries come back in the same atomic step: so parallel guesses see each other,
and the pure rule (hotline/sign_in_pace.py) can refuse all but the free ones. An
attempt refused as too early is withdrawn again (it was never a guess); a successful
one clears its own key.
"""

from __future__ import annotations

from collections.abc import Sequence

import redis

from hotline.sign_in_pace import Earlier
from hotline.store.scripts import Scripts


class SignInAttempts:
    def __init__(self, client: redis.Redis, scripts: Scripts) -> None:
        self._redis = client
        self._scripts = scripts

    def record(
        self, counted: Sequence[str], attempt: str, *, now: float, window_s: float
    ) -> list[Earlier]:
        """Add `attempt` to each key; what each held before it, in the same order."""
        flat = self._scripts.sign_in_attempt(
            keys=list(counted), args=[repr(now), window_s, attempt]
        )
        return [
            Earlier(failures=int(count), last_at=float(latest) if latest else None)
            for count, latest in zip(flat[::2], flat[1::2], strict=True)
        ]

    def withdraw(self, counted: Sequence[str], attempt: str) -> None:
        """Take `attempt` out of each key again: it was never evaluated."""
        with self._redis.pipeline(transaction=False) as pipe:
            for key in counted:
                pipe.zrem(key, attempt)
            pipe.execute()

    def succeeded(self, cleared: str, counted: Sequence[str], attempt: str) -> None:
        """A right password: `cleared` forgets every failure, the other keys only this one."""
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(cleared)
            for key in counted:
                if key != cleared:
                    pipe.zrem(key, attempt)
            pipe.execute()
