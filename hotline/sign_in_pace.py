"""How soon a console sign-in may be tried again after failures: the pure rule.

Failures are counted per key (a browser's device cookie, the untrusted clients of a
user name, a client address) over a sliding window. The first few are free; after
that each failure makes the next attempt from the same key wait, twice as long as
the one before, up to a minute. Nothing is ever locked: a troll failing on purpose
only slows the key he fails on, and a browser that has signed in before has a key of
its own (see hotline/console/pacing.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Failures older than this no longer count.
WINDOW_S = 15 * 60
FIRST_DELAY_S = 1.0
MAX_DELAY_S = 60.0
# Past this many doublings the cap has long been reached (and 2**n must not overflow).
_MAX_DOUBLINGS = 16


@dataclass(frozen=True)
class Budget:
    """How many failures a kind of key may make before each one slows the next attempt."""

    free_failures: int


# A browser that signed in as the user before (its device cookie).
BY_DEVICE = Budget(free_failures=5)
# Every other browser trying a user name, pooled: a troll slows these, and only these.
UNTRUSTED_BY_NAME = Budget(free_failures=5)
# One client address across every name: more, since an office shares one address.
BY_ADDRESS = Budget(free_failures=20)


@dataclass(frozen=True)
class Earlier:
    """What a key held before this attempt: its failures (attempts still being checked
    count too) in the window, and when the latest of them was made (None when none).
    """

    failures: int
    last_at: float | None


def delay_after(failures: int, budget: Budget) -> float:
    """Seconds the next attempt must wait after the last of `failures` failures."""
    beyond = failures - budget.free_failures
    if beyond < 0:
        return 0.0
    return min(FIRST_DELAY_S * 2 ** min(beyond, _MAX_DOUBLINGS), MAX_DELAY_S)


def wait_s(earlier: Earlier, budget: Budget, now: float) -> float:
    """How many seconds too early an attempt at `now` is; 0 when it may be evaluated."""
    if earlier.last_at is None:
        return 0.0
    return max(earlier.last_at + delay_after(earlier.failures, budget) - now, 0.0)


def retry_after_s(wait: float) -> int:
    """Whole seconds to tell the client (Retry-After), never less than what it must wait."""
    return math.ceil(wait)
