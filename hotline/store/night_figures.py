"""The night's figures minute by minute: calls by what they got, the line, the top callers.

Each is counted where it happens, in the round trip of the write it goes with:

- the inbound script (lua/arrive.lua) counts every call it answers and every call a
  block in force rejects, and keeps each number that called more than once within the
  long window with its count of calls there (the top callers' candidates);
- a verdict off the common path (a divert, a block) is counted where it is recorded
  (lua/record_verdict.lua), in the webhook that decided it;
- a challenge or a fast track, the common path, is counted by the call-end job once the
  call is over (workers/call_end.py), under the minute the call arrived in;
- per hotline number (the number a call dialled, Twilio's To), the inbound script counts
  the calls that arrived on it, answered or rejected, and the script that puts a verified
  chair in line (lua/verified.lua) counts the chairs verified on it, under the minute of
  their proof: when the number leaks and is rotated, the board shows chairs moving from
  the old number to the new one.

Why the common path waits: /voice/incoming makes one Redis round trip there, the inbound
script, and the verdict is decided in Python after it, so counting it at once would cost
every call a second round trip. The script's own count of calls answered is exact at
once; the split of those calls into challenge and fast track comes as they end, and the
board shows the rest as "not over yet".

The line is sampled once a minute by a housekeeping job (workers/night_sample.py), which
also ranks the top callers, once, for every board to read, and forgets the numbers gone
quiet for the long window.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import redis

from hotline.store import keys
from hotline.store.blocks import Block
from hotline.triage import Action, Verdict

# The night's figures outlive it by a day, for the after-action review.
FIGURES_TTL_S = 2 * 86400

# What a call got on arrival, as counted for each minute.
ANSWERED = "answered"  # not rejected: every challenge, fast track, divert and new block
REJECTED = "rejected"  # a block was already in force: refused unanswered
FAST_TRACK = "fast-track"
CHALLENGE = "challenge"
DIVERTED = "diverted"
BLOCKED = "blocked"  # the verdict blocked the number (a temporary or a lasting block)
VERDICTS = (FAST_TRACK, CHALLENGE, DIVERTED, REJECTED, BLOCKED)
# The line, sampled once a minute.
LINE_DEPTH = "depth"
LONGEST_WAIT = "longest-wait"
# Per hotline number: "calls@+15155550100" (arrive.lua names it: it is handed the bare
# number, which it also looks up among the retired ones), "verified@+15155550100"
# (named here, on_number, and handed to verified.lua).
CALLS_ON = "calls"
VERIFIED_ON = "verified"
ON_NUMBER = "@"

_VERDICT_FIGURE = {
    Action.FAST_TRACK: FAST_TRACK,
    Action.CHALLENGE: CHALLENGE,
    Action.DIVERT: DIVERTED,
    Action.TEMP_BLOCK: BLOCKED,
    Action.BLOCK: BLOCKED,
}

TOP_CALLERS_SHOWN = 20
# How often the top callers are ranked (the housekeeping's period).
RANKED_EVERY_S = 60
# Numbers gone quiet are forgotten this many at a time.
FORGET_BATCH = 1000


def minute_of(now: float) -> int:
    return int(now // 60)


def field(minute: int, figure: str) -> str:
    return f"{minute}:{figure}"


def hour_key(minute: int) -> str:
    return keys.night_minutes(minute // 60)


def on_number(figure: str, number: str) -> str:
    """The name of a figure counted per hotline number: CALLS_ON or VERIFIED_ON."""
    return f"{figure}{ON_NUMBER}{number}"


def by_number(counts: dict[str, int]) -> dict[str, dict[str, int]]:
    """One minute's figures per hotline number: number -> CALLS_ON and VERIFIED_ON -> count
    (each 0 when not counted).
    """
    found: dict[str, dict[str, int]] = {}
    for name, count in counts.items():
        figure, at, number = name.partition(ON_NUMBER)
        if at and figure in (CALLS_ON, VERIFIED_ON):
            found.setdefault(number, {CALLS_ON: 0, VERIFIED_ON: 0})[figure] = count
    return found


def verdict_figure(verdict: Verdict) -> str:
    """What a call is counted as: what it got (in log-only mode, never worse than a
    challenge), a temporary block and a lasting one alike.
    """
    return _VERDICT_FIGURE[verdict.effective_action]


@dataclass(frozen=True)
class LineSample:
    depth: int
    longest_wait_s: int | None


@dataclass(frozen=True)
class TopCaller:
    number: str
    # Calls answered within the long window before (and with) its latest call.
    calls: int
    blocked: bool


@dataclass(frozen=True)
class TopCallers:
    """The top callers as the sample at `at` ranked them."""

    at: float
    callers: tuple[TopCaller, ...]

    def to_json(self) -> str:
        return json.dumps(
            {"at": self.at, "callers": [[c.number, c.calls, c.blocked] for c in self.callers]}
        )

    @classmethod
    def from_json(cls, raw: str | None) -> TopCallers | None:
        if not raw:
            return None
        data = json.loads(raw)
        return cls(
            at=float(data["at"]),
            callers=tuple(
                TopCaller(number=n, calls=int(c), blocked=bool(b)) for n, c, b in data["callers"]
            ),
        )


def longest_wait(entries: list[str], now: float) -> int | None:
    """Seconds the longest waiting of the line's entries (store/line.py) has waited."""
    since = [float(json.loads(raw)["since"]) for raw in entries]
    return round(max(now - min(since), 0.0)) if since else None


def block_targets(number: str) -> list[str]:
    """The number and every prefix that would block it, as lua/arrive.lua looks them up."""
    return [number] + [number[:end] + "*" for end in range(len(number) - 1, 1, -1)]


class NightFigures:
    def __init__(self, client: redis.Redis, window_s: float) -> None:
        self._redis = client
        # The long window of the triage policy, over which the top callers are counted.
        self._window_s = window_s

    def sample_line(self, now: float) -> LineSample:
        """The line's depth and longest wait now, kept as this minute's sample."""
        with self._redis.pipeline(transaction=False) as pipe:
            pipe.zcard(keys.LINE)
            pipe.hvals(keys.WAITING)
            depth, entries = pipe.execute()
        sample = LineSample(depth=int(depth), longest_wait_s=longest_wait(entries, now))
        minute = minute_of(now)
        values = {field(minute, LINE_DEPTH): sample.depth}
        if sample.longest_wait_s is not None:
            values[field(minute, LONGEST_WAIT)] = sample.longest_wait_s
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(hour_key(minute), mapping=values)
            pipe.expire(hour_key(minute), FIGURES_TTL_S)
            pipe.execute()
        return sample

    def rank_top_callers(self, now: float, limit: int = TOP_CALLERS_SHOWN) -> TopCallers:
        """The numbers with the most answered calls within the long window, each as of its
        latest call, marked if a block is in force on it now; kept for the board. Numbers
        whose latest call is older than the window are forgotten first. A flood of one-off
        numbers never gets here (the inbound script keeps a number from its second call),
        and the boards that poll every few seconds read only what this ranked.
        """
        self._forget_quiet(f"({now - self._window_s}")
        ranked = self._redis.zrevrange(keys.TOP_CALLERS, 0, limit * 2 - 1, withscores=True)
        # The most calls first, ties by number; twice as many are read as shown, so that a
        # tie at the cut is mostly settled by number too.
        ranked = sorted(ranked, key=lambda pair: (-pair[1], pair[0]))[:limit]
        blocked = self._blocked_now([number for number, _ in ranked], now)
        top = TopCallers(
            at=now,
            callers=tuple(
                TopCaller(number=number, calls=int(calls), blocked=number in blocked)
                for number, calls in ranked
            ),
        )
        self._redis.set(keys.TOP_CALLERS_RANKED, top.to_json(), ex=FIGURES_TTL_S)
        return top

    def _forget_quiet(self, quiet_since: str) -> None:
        """Drop the numbers whose latest call is older than `quiet_since`, a batch at a
        time: the end of a flood may leave a hundred thousand, and Redis serves the calls
        between batches. (One that calls again in the instant between reading a batch and
        dropping it is forgotten until its next call.)
        """
        while True:
            gone = self._redis.zrangebyscore(
                keys.TOP_CALLERS_SEEN, "-inf", quiet_since, start=0, num=FORGET_BATCH
            )
            if gone:
                with self._redis.pipeline(transaction=True) as pipe:
                    pipe.zrem(keys.TOP_CALLERS, *gone)
                    pipe.zrem(keys.TOP_CALLERS_SEEN, *gone)
                    pipe.execute()
            if len(gone) < FORGET_BATCH:
                return

    def _blocked_now(self, numbers: list[str], now: float) -> set[str]:
        """Which of `numbers` a block in force rejects (their own, or a prefix's)."""
        if not numbers:
            return set()
        targets = {number: block_targets(number) for number in numbers}
        wanted = sorted({target for found in targets.values() for target in found})
        raws = self._redis.hmget(keys.BLOCKS, wanted)
        in_force = {
            target
            for target, raw in zip(wanted, raws, strict=True)
            if raw is not None and Block.from_json(target, raw).active(now)
        }
        return {number for number, found in targets.items() if in_force.intersection(found)}
