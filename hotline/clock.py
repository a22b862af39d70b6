"""The one source of time. Everything that needs "now" is handed a Clock.

Time is seconds since the epoch as a float, the unit Redis scores and TTLs
are computed from. Production uses SystemClock; tests and the simulator use
ManualClock and move it themselves.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float: ...


class SystemClock:
    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that only moves when told to: deterministic tests and virtual time."""

    def __init__(self, start: float = 1_580_860_800.0) -> None:  # 2020-02-05 00:00 UTC
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not run backwards")
        self._now += seconds

    def set(self, when: float) -> None:
        self._now = float(when)
