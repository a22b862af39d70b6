"""The priority line of verified calls waiting for a volunteer.

A sorted set of CallSids. The score is the arrival time: the earlier arrival is served
first (a chair proved by a call back keeps the arrival of the call that asked for it).
Every call verified for one precinct shares the precinct's score (lua/verified.lua): two
people calling for the same precinct both wait, side by side, and both are served. When
a precinct's last waiting call hangs up, its score is kept for a while
(lua/call_ended.lua), and a call for it that verifies again gets it back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import redis

from hotline.store import keys, night_figures
from hotline.store.scripts import Scripts


@dataclass(frozen=True)
class WaitingChair:
    call_sid: str
    precinct: str
    number: str | None
    verified_how: str
    since: float
    score: float


def requeue(
    pipe: redis.client.Pipeline,
    call_sid: str,
    entry: dict[str, Any],
    score: float,
    *,
    holding: bool,
) -> None:
    """Queue on `pipe` the return of a call to the line, in its place (dispatch undone).

    `holding`: the call is still in Twilio's queue (not waiting for a call back).
    """
    precinct = entry["precinct"]
    pipe.zadd(keys.LINE, {call_sid: score})
    pipe.hset(keys.WAITING, call_sid, json.dumps(entry, sort_keys=True))
    pipe.hincrby(keys.PRECINCT_CALLS, precinct, 1)
    pipe.hsetnx(keys.PRECINCT_PLACES, precinct, repr(score))
    if holding:
        pipe.sadd(keys.HOLDING, call_sid)


class Line:
    def __init__(self, client: redis.Redis, scripts: Scripts, remember_caller_s: float) -> None:
        self._redis = client
        self._scripts = scripts
        self._remember_caller_s = remember_caller_s

    def join(
        self,
        *,
        now: float,
        precinct: str,
        call_sid: str,
        number: str | None,
        verified_how: str,
        hotline_number: str | None = None,
        arrived_at: float | None = None,
        language: str | None = None,
    ) -> int:
        """Put a verified call in line; returns its 1-based position.

        `hotline_number` is the number they called, the caller ID of a call back: the
        call's first proof is counted for it among the night's figures.
        `arrived_at` is when the chair first called, if earlier than now (a chair proved
        by a call back keeps the place of the call that asked for it). `language` is the
        call's, which the dispatch speaks to the chair in; None (not in the entry) for the
        hotline's first.
        """
        fields = {
            "precinct": precinct,
            "call_sid": call_sid,
            "number": number,
            "verified_how": verified_how,
            "since": now,
            "to": hotline_number,
        }
        if language is not None:
            fields["language"] = language
        entry = json.dumps(fields, sort_keys=True)
        caller_key = keys.caller(number) if number else keys.caller("withheld")
        score = now if arrived_at is None else min(arrived_at, now)
        minute = night_figures.minute_of(now)
        verified_on = (
            night_figures.field(
                minute, night_figures.on_number(night_figures.VERIFIED_ON, hotline_number)
            )
            if hotline_number
            else ""
        )
        return int(
            self._scripts.verified(
                keys=[
                    keys.LINE,
                    keys.WAITING,
                    keys.kept_place(precinct),
                    keys.call(call_sid),
                    caller_key,
                    keys.PRECINCT_PLACES,
                    keys.PRECINCT_CALLS,
                    night_figures.hour_key(minute),
                ],
                args=[
                    repr(now),
                    precinct,
                    repr(score),
                    entry,
                    number or "",
                    call_sid,
                    round(self._remember_caller_s),
                    verified_on,
                    night_figures.FIGURES_TTL_S,
                ],
            )
        )

    def step_out(self, call_sid: str) -> bool:
        """A waiting call leaves the line but stays verified (a chair reporting on the
        keypad); False when it was not waiting. `join` puts it back.
        """
        return bool(
            self._scripts.step_out(
                keys=[
                    keys.LINE,
                    keys.WAITING,
                    keys.HOLDING,
                    keys.PRECINCT_PLACES,
                    keys.PRECINCT_CALLS,
                    keys.call(call_sid),
                ],
                args=[call_sid],
            )
        )

    def request_callback(self, call_sid: str, *, now: float) -> bool:
        """The waiting call `call_sid` asked to be called back, keeping its place.

        False when the call is not waiting (or has ended), has already asked, or has no
        number to call back.
        """

        def change(pipe: redis.client.Pipeline) -> bool:
            raw = pipe.hget(keys.WAITING, call_sid)
            entry = json.loads(raw) if raw else None
            if not entry or entry.get("callback") or not entry.get("number"):
                return False
            if pipe.hexists(keys.call(call_sid), "ended_at"):
                return False
            entry["callback"] = {"requested_at": now, "attempts": 0}
            pipe.multi()
            pipe.hset(keys.WAITING, call_sid, json.dumps(entry, sort_keys=True))
            return True

        return self._redis.transaction(
            change, keys.WAITING, keys.call(call_sid), value_from_callable=True
        )

    def holding(self, call_sid: str) -> tuple[int | None, bool]:
        """The call is in Twilio's queue (its wait URL was requested).

        Returns its 1-based place (None when not waiting) and whether this is the
        first time the call was seen holding: only then can a dispatch reach it.
        """
        position, first = self._scripts.holding(
            keys=[keys.LINE, keys.WAITING, keys.HOLDING, keys.call(call_sid)], args=[call_sid]
        )
        return (int(position) or None), bool(first)

    def waiting(self, limit: int = 100) -> list[WaitingChair]:
        """The first `limit` waiting calls, in the order they will be served."""
        ranked = self._redis.zrange(keys.LINE, 0, limit - 1, withscores=True)
        if not ranked:
            return []
        entries = self._redis.hmget(keys.WAITING, [sid for sid, _ in ranked])
        chairs = []
        for (sid, score), raw in zip(ranked, entries, strict=True):
            if raw is None:
                continue
            entry = json.loads(raw)
            chairs.append(
                WaitingChair(
                    call_sid=sid,
                    precinct=entry["precinct"],
                    number=entry["number"],
                    verified_how=entry["verified_how"],
                    since=float(entry["since"]),
                    score=score,
                )
            )
        return chairs

    def mark_lost(self, in_twilios_queue: list[str], *, remember_s: float) -> list[str]:
        """Of the calls Twilio says wait in its queue, those Redis has no trace of in line
        or on their way to a volunteer (its data was lost): noted as orphans, for their
        next wait request to put them back. Returns them.
        """
        if not in_twilios_queue:
            return []
        with self._redis.pipeline(transaction=False) as pipe:
            pipe.hmget(keys.WAITING, in_twilios_queue)
            pipe.hvals(keys.PAIRINGS)
            pipe.hvals(keys.VOLUNTEER_STATES)
            waiting, pairings, states = pipe.execute()
        known = {sid for sid, entry in zip(in_twilios_queue, waiting, strict=True) if entry}
        known |= {json.loads(raw).get("call_sid") for raw in pairings}
        known |= {json.loads(raw).get("caller_call_sid") for raw in states}
        lost = [sid for sid in in_twilios_queue if sid not in known]
        if lost:
            with self._redis.pipeline(transaction=True) as pipe:
                pipe.sadd(keys.ORPHANS, *lost)
                pipe.expire(keys.ORPHANS, int(remember_s))
                pipe.execute()
        return lost

    def adopt(
        self,
        *,
        now: float,
        call_sid: str,
        precinct: str,
        number: str | None,
        hotline_number: str | None,
        waited_s: float,
        language: str | None = None,
    ) -> int | None:
        """Put an orphan (see mark_lost) back in line, holding, with the place its time in
        Twilio's queue gives it; None when the call is no orphan (a replay, a call that
        ended, one already back).
        """
        if not self._redis.srem(keys.ORPHANS, call_sid):
            return None
        self.join(
            now=now,
            precinct=precinct,
            call_sid=call_sid,
            number=number,
            verified_how="recovered",
            hotline_number=hotline_number,
            arrived_at=now - max(waited_s, 0.0),
            language=language,
        )
        position, _ = self.holding(call_sid)
        return position

    def calls_for(self, precinct: str) -> int:
        """How many calls for `precinct` wait in the line or are parked (store/parked.py)."""
        return int(self._redis.hget(keys.PRECINCT_CALLS, precinct) or 0)

    def size(self) -> int:
        return self._redis.zcard(keys.LINE)
