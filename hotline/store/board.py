"""Everything the admins' board shows live, read in one pipeline: one round trip a poll,
however many boards are open, each command bounded (a few hashes of the night's figures,
counts and sizes, the hotline's own numbers; never a list that grows with the callers).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field

import redis

from hotline.store import keys, night_figures
from hotline.store.dispatch import AVAILABLE, CONNECTING, OFFLINE, PAUSED, TALKING
from hotline.store.job_registries import JobKeys
from hotline.store.night_figures import TopCallers
from hotline.store.numbers import HotlineNumber, numbers_from

# Volunteers as the board counts them.
FREE, BUSY = "free", "busy"
_VOLUNTEER_STATE = {AVAILABLE: FREE, CONNECTING: BUSY, TALKING: BUSY, PAUSED: PAUSED}


@dataclass(frozen=True)
class BoardFigures:
    now: float
    # minute (since the epoch) -> figure (store/night_figures.py) -> count, over the window read.
    minutes: dict[int, dict[str, int]]
    first_minute: int
    line_depth: int
    longest_wait_s: int | None
    # free, busy, paused and offline -> how many volunteers.
    volunteers: dict[str, int]
    # (minute, failed PIN checks in it) for each minute of the PIN alarm's window, oldest
    # first, and the failures within the window itself.
    pin_failures: list[tuple[int, int]]
    pin_failures_in_window: int
    # Who switched flood mode on ("pin-alarm" for the alarm), or None while it is off.
    flood_by: str | None
    top_callers: TopCallers | None
    # queued, running, retrying, failed -> how many jobs.
    jobs: dict[str, int]
    tonight_values: dict[str, int] = field(default_factory=dict)
    # The hotline's numbers on record (store/numbers.py), current first.
    numbers: list[HotlineNumber] = field(default_factory=list)


def read_board(
    client: redis.Redis, *, now: float, hours: int, alarm_window_s: float, job_keys: JobKeys
) -> BoardFigures:
    """The board's figures now, over the last `hours` for the night's minutes."""
    last_minute = night_figures.minute_of(now)
    first_minute = last_minute - hours * 60 + 1
    hour_keys = [keys.night_minutes(h) for h in range(first_minute // 60, last_minute // 60 + 1)]
    alarm_minutes = max(1, math.ceil(alarm_window_s / 60))
    pin_minutes = list(range(last_minute - alarm_minutes + 1, last_minute + 1))
    with client.pipeline(transaction=False) as pipe:
        for key in hour_keys:
            pipe.hgetall(key)
        pipe.zcard(keys.LINE)
        pipe.hvals(keys.WAITING)
        pipe.hlen(keys.VOLUNTEERS)
        pipe.hvals(keys.VOLUNTEER_STATES)
        for minute in pin_minutes:
            pipe.zcount(keys.PIN_FAILURES, minute * 60, f"({(minute + 1) * 60}")
        pipe.zcount(keys.PIN_FAILURES, now - alarm_window_s, "+inf")
        pipe.get(keys.FLOOD)
        pipe.get(keys.TOP_CALLERS_RANKED)
        pipe.llen(job_keys.queued)
        pipe.zcard(job_keys.running)
        pipe.zcard(job_keys.retrying)
        pipe.zcard(job_keys.failed)
        pipe.hget(keys.TONIGHT, "values")
        pipe.hgetall(keys.NUMBERS)
        replies = pipe.execute()
    hours_read, replies = replies[: len(hour_keys)], replies[len(hour_keys) :]
    depth, waiting, registered, states, *replies = replies
    pins, replies = replies[: len(pin_minutes)], replies[len(pin_minutes) :]
    in_window, flood_by, top, queued, running, retrying, failed, tonight, numbers = replies
    return BoardFigures(
        now=now,
        minutes=_minutes(hours_read, first_minute, last_minute),
        first_minute=first_minute,
        line_depth=int(depth),
        longest_wait_s=night_figures.longest_wait(waiting, now),
        volunteers=_volunteers(int(registered), states),
        pin_failures=[
            (minute, int(count)) for minute, count in zip(pin_minutes, pins, strict=True)
        ],
        pin_failures_in_window=int(in_window),
        flood_by=flood_by,
        top_callers=TopCallers.from_json(top),
        jobs={
            "queued": int(queued),
            "running": int(running),
            "retrying": int(retrying),
            "failed": int(failed),
        },
        tonight_values=json.loads(tonight) if tonight else {},
        numbers=numbers_from(numbers),
    )


def _minutes(hashes: list[dict[str, str]], first: int, last: int) -> dict[int, dict[str, int]]:
    found: dict[int, dict[str, int]] = {}
    for values in hashes:
        for name, count in values.items():
            minute, _, figure = name.partition(":")
            if first <= int(minute) <= last:
                found.setdefault(int(minute), {})[figure] = int(count)
    return found


def _volunteers(registered: int, states: list[str]) -> dict[str, int]:
    counted = Counter(
        _VOLUNTEER_STATE.get(json.loads(raw).get("status", OFFLINE), OFFLINE) for raw in states
    )
    on_duty = counted[FREE] + counted[BUSY] + counted[PAUSED]
    return {
        FREE: counted[FREE],
        BUSY: counted[BUSY],
        PAUSED: counted[PAUSED],
        OFFLINE: max(registered - on_duty, 0),
    }
