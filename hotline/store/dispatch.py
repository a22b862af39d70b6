"""Volunteers' availability and the pairing of waiting callers with free volunteers.

A volunteer is offline, available (in their room, free), connecting (paired,
the caller being moved), talking, or paused. Pairing is one Lua script
(lua/pair.lua), so any number of dispatchers can run at once. A pairing stays
recorded until the caller arrives in the room (confirm, from the connect
webhook) or it is undone: because the caller is gone, because Twilio could
not be reached (the caller goes back to their place, the volunteer to theirs), or because
Twilio refused this caller for good (the caller is parked, store/parked.py, and the
volunteer goes back to their place).
A pairing neither confirmed nor undone within a while belongs to a dispatcher
that died; it is undone the same way, and if the caller then turns up in the
room after all, the confirmation takes them back out of the line. Each pairing
has an id, named in the URLs Twilio is given for it, so a replayed request for
an old pairing changes nothing.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

import redis

from hotline.store import keys
from hotline.store.line import requeue
from hotline.store.parked import ParkedChair, Refusal, park
from hotline.store.scripts import Scripts

# How long a pairing given up as stale is remembered, should its caller turn up after all.
GIVEN_UP_MEMORY_S = 600

OFFLINE, AVAILABLE, PAUSED, CONNECTING, TALKING = (
    "offline",
    "available",
    "paused",
    "connecting",
    "talking",
)


@dataclass(frozen=True)
class Pairing:
    id: str
    volunteer: str
    precinct: str
    call_sid: str
    number: str | None
    verified_how: str
    waiting_since: float
    score: float
    free_since: float
    paired_at: float
    room: str | None
    entry: dict[str, Any]

    @classmethod
    def from_json(cls, raw: str) -> Pairing:
        data = json.loads(raw)
        entry = data["entry"]
        return cls(
            id=data["id"],
            volunteer=data["volunteer"],
            precinct=data["precinct"],
            call_sid=data["call_sid"],
            number=entry.get("number"),
            verified_how=entry.get("verified_how", ""),
            waiting_since=float(entry.get("since", 0.0)),
            score=float(data["score"]),
            free_since=float(data["free_since"]),
            paired_at=float(data["paired_at"]),
            room=data.get("room"),
            entry=entry,
        )


@dataclass(frozen=True)
class VolunteerState:
    status: str
    call_sid: str | None = None
    room: str | None = None
    precinct: str | None = None
    caller_call_sid: str | None = None
    since: float | None = None
    # How the caller put through was proved: "registered-phone", "keyed-precinct",
    # "backup-code" or "call-back".
    verified_how: str | None = None


class Dispatch:
    def __init__(self, client: redis.Redis, scripts: Scripts) -> None:
        self._redis = client
        self._scripts = scripts

    # Volunteers coming and going

    def volunteer_ready(self, volunteer_id: str, *, call_sid: str, room: str, now: float) -> None:
        """A volunteer is in their room, waiting for callers."""
        state = {"status": AVAILABLE, "call_sid": call_sid, "room": room, "since": now}
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.VOLUNTEER_STATES, volunteer_id, json.dumps(state))
            pipe.zadd(keys.FREE_VOLUNTEERS, {volunteer_id: now})
            pipe.execute()

    def volunteer_left(self, volunteer_id: str, call_sid: str, *, now: float) -> bool:
        """The volunteer's leg `call_sid` ended: no more callers for them. False when that
        leg is not the one they are on duty with (a call that only claimed to be theirs,
        or an old one), which changes nothing.
        """

        def change(pipe: redis.client.Pipeline) -> bool:
            state = self._state_in(pipe, volunteer_id)
            if state is None or state.get("call_sid") != call_sid:
                return False
            pipe.multi()
            pipe.zrem(keys.FREE_VOLUNTEERS, volunteer_id)
            pipe.hset(
                keys.VOLUNTEER_STATES, volunteer_id, json.dumps({"status": OFFLINE, "since": now})
            )
            return True

        return self._redis.transaction(change, keys.VOLUNTEER_STATES, value_from_callable=True)

    def set_paused(self, volunteer_id: str, paused: bool, *, now: float) -> bool:
        """Pause a free volunteer, or make a paused one available; False if neither applies."""

        def change(pipe: redis.client.Pipeline) -> bool:
            state = self._state_in(pipe, volunteer_id)
            if state is None or state.get("status") not in ((AVAILABLE,) if paused else (PAUSED,)):
                return False
            state.update(status=PAUSED if paused else AVAILABLE, since=now)
            pipe.multi()
            pipe.hset(keys.VOLUNTEER_STATES, volunteer_id, json.dumps(state))
            if paused:
                pipe.zrem(keys.FREE_VOLUNTEERS, volunteer_id)
            else:
                pipe.zadd(keys.FREE_VOLUNTEERS, {volunteer_id: now})
            return True

        return self._redis.transaction(change, keys.VOLUNTEER_STATES, value_from_callable=True)

    def caller_left(self, volunteer_id: str, caller_call_sid: str, *, now: float) -> bool:
        """The caller's call ended: a volunteer still in their room is free again."""

        def change(pipe: redis.client.Pipeline) -> bool:
            state = self._state_in(pipe, volunteer_id)
            if state is None or state.get("caller_call_sid") != caller_call_sid:
                return False
            if state.get("status") != TALKING:
                return False
            state.update(
                status=AVAILABLE, precinct=None, caller_call_sid=None, since=now, verified_how=None
            )
            pipe.multi()
            pipe.hset(keys.VOLUNTEER_STATES, volunteer_id, json.dumps(state))
            pipe.zadd(keys.FREE_VOLUNTEERS, {volunteer_id: now})
            return True

        return self._redis.transaction(change, keys.VOLUNTEER_STATES, value_from_callable=True)

    # Pairing

    def pair(self, *, now: float) -> Pairing | None:
        raw = self._scripts.pair(
            keys=[
                keys.FREE_VOLUNTEERS,
                keys.LINE,
                keys.WAITING,
                keys.PAIRINGS,
                keys.VOLUNTEER_STATES,
                keys.HOLDING,
                keys.PRECINCT_PLACES,
                keys.PRECINCT_CALLS,
            ],
            args=[repr(now), secrets.token_hex(8)],
        )
        return None if raw is None else Pairing.from_json(raw)

    def confirm(
        self, volunteer_id: str, pairing_id: str, caller_call_sid: str, *, precinct: str, now: float
    ) -> bool:
        """The caller (on `caller_call_sid`, a call back's own SID for a chair who asked to
        be called back) has arrived in the volunteer's room. False when `pairing_id` is
        neither in flight nor just given up: a replayed or repeated request.
        """
        return bool(
            self._scripts.confirm_pairing(
                keys=[
                    keys.PAIRINGS,
                    keys.VOLUNTEER_STATES,
                    keys.LINE,
                    keys.WAITING,
                    keys.FREE_VOLUNTEERS,
                    keys.call(caller_call_sid),
                    keys.HOLDING,
                    keys.PRECINCT_PLACES,
                    keys.PRECINCT_CALLS,
                    keys.given_up_pairing(pairing_id),
                ],
                args=[volunteer_id, pairing_id, caller_call_sid, repr(now), precinct],
            )
        )

    def undo_gone(self, pairing: Pairing, *, keep_place_s: float) -> None:
        """The caller had already gone: the volunteer is first in line for the next one, and
        the chair keeps their place for a while, as if they had hung up while waiting.
        """
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hdel(keys.PAIRINGS, pairing.volunteer)
            self._free_again(pipe, pairing)
            pipe.set(
                keys.kept_place(pairing.precinct), repr(pairing.score), ex=max(int(keep_place_s), 1)
            )
            pipe.execute()

    def undo_retry(self, pairing: Pairing) -> None:
        """Twilio could not be reached: both go back exactly where they were."""
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hdel(keys.PAIRINGS, pairing.volunteer)
            self._requeue(pipe, pairing)
            self._free_again(pipe, pairing)
            pipe.execute()

    def park(self, pairing: Pairing, refusal: Refusal, *, now: float) -> ParkedChair | None:
        """Twilio refused, for good, to put the caller through: the caller is parked with
        their place kept, the volunteer is first in line for the next caller, and the
        admins are told (audit). None when the pairing is no longer in flight (given up as
        stale meanwhile: the caller is back in line, and the next try parks them).
        """

        def change(pipe: redis.client.Pipeline) -> ParkedChair | None:
            raw = pipe.hget(keys.PAIRINGS, pairing.volunteer)
            if raw is None or Pairing.from_json(raw).id != pairing.id:
                return None
            pipe.multi()
            pipe.hdel(keys.PAIRINGS, pairing.volunteer)
            chair = park(pipe, pairing.call_sid, pairing.entry, pairing.score, refusal, now=now)
            self._free_again(pipe, pairing)
            return chair

        return self._redis.transaction(change, keys.PAIRINGS, value_from_callable=True)

    def callback_failed(
        self, volunteer_id: str, pairing_id: str, *, max_attempts: int
    ) -> dict[str, Any] | None:
        """A call back to a chair was not answered (or not taken up).

        The volunteer is free again. The chair goes back to their place in line
        for another try, until `max_attempts` calls have failed. Returns the
        line entry (its "callback" counting the attempts, "gave_up" set when no
        try is left), or None when the pairing is no longer in flight (the
        chair did get through, or the request is a replay).
        """

        def change(pipe: redis.client.Pipeline) -> dict[str, Any] | None:
            raw = pipe.hget(keys.PAIRINGS, volunteer_id)
            pairing = Pairing.from_json(raw) if raw else None
            if pairing is None or pairing.id != pairing_id:
                return None
            entry = dict(pairing.entry)
            callback = dict(entry.get("callback") or {})
            callback["attempts"] = int(callback.get("attempts", 0)) + 1
            entry["callback"] = callback
            gave_up = callback["attempts"] >= max_attempts
            pipe.multi()
            pipe.hdel(keys.PAIRINGS, volunteer_id)
            if not gave_up:
                requeue(pipe, pairing.call_sid, entry, pairing.score, holding=False)
            self._free_again(pipe, pairing)
            return entry | {"gave_up": gave_up}

        return self._redis.transaction(change, keys.PAIRINGS, value_from_callable=True)

    def stale_pairings(self, *, now: float, older_than_s: float) -> list[Pairing]:
        pairings = [Pairing.from_json(raw) for raw in self._redis.hvals(keys.PAIRINGS)]
        return [p for p in pairings if now - p.paired_at >= older_than_s]

    def give_up(self, pairing: Pairing) -> bool:
        """Undo a stale pairing, unless it was confirmed or undone meanwhile."""

        def change(pipe: redis.client.Pipeline) -> bool:
            raw = pipe.hget(keys.PAIRINGS, pairing.volunteer)
            if raw is None or Pairing.from_json(raw).paired_at != pairing.paired_at:
                return False
            pipe.multi()
            pipe.hdel(keys.PAIRINGS, pairing.volunteer)
            self._requeue(pipe, pairing)
            self._free_again(pipe, pairing)
            pipe.set(keys.given_up_pairing(pairing.id), pairing.call_sid, ex=GIVEN_UP_MEMORY_S)
            return True

        return self._redis.transaction(change, keys.PAIRINGS, value_from_callable=True)

    # Reading

    def state(self, volunteer_id: str) -> VolunteerState | None:
        raw = self._redis.hget(keys.VOLUNTEER_STATES, volunteer_id)
        return None if raw is None else _state(json.loads(raw))

    def states(self) -> dict[str, VolunteerState]:
        return {
            vid: _state(json.loads(raw))
            for vid, raw in self._redis.hgetall(keys.VOLUNTEER_STATES).items()
        }

    # Helpers

    @staticmethod
    def _requeue(pipe: redis.client.Pipeline, pairing: Pairing) -> None:
        """The chair back in their place (still holding in Twilio's queue, unless they are
        waiting for a call back).
        """
        requeue(
            pipe,
            pairing.call_sid,
            pairing.entry,
            pairing.score,
            holding=not pairing.entry.get("callback"),
        )

    def _free_again(self, pipe: redis.client.Pipeline, pairing: Pairing) -> None:
        state = {"status": AVAILABLE, "room": pairing.room, "since": pairing.free_since}
        current = self.state(pairing.volunteer)
        if current is not None and current.call_sid:
            state["call_sid"] = current.call_sid
        pipe.hset(keys.VOLUNTEER_STATES, pairing.volunteer, json.dumps(state))
        # Back at the time they first became free: first in line for the next caller.
        pipe.zadd(keys.FREE_VOLUNTEERS, {pairing.volunteer: pairing.free_since})

    @staticmethod
    def _state_in(pipe: redis.client.Pipeline, volunteer_id: str) -> dict[str, Any] | None:
        raw = pipe.hget(keys.VOLUNTEER_STATES, volunteer_id)
        return None if raw is None else json.loads(raw)


def _state(data: dict[str, Any]) -> VolunteerState:
    return VolunteerState(
        status=data.get("status", OFFLINE),
        call_sid=data.get("call_sid"),
        room=data.get("room"),
        precinct=data.get("precinct"),
        caller_call_sid=data.get("caller_call_sid"),
        since=data.get("since"),
        verified_how=data.get("verified_how"),
    )
