"""Chairs parked out of the line: Twilio refused, for good, to put them through.

A call back to a number Twilio will not dial (code 21215: the account may not call it)
would be refused again on every dispatch, and so would a Queue Member update Twilio
refuses. Such a chair is parked: taken out of the line, so no dispatch picks them again,
but still counted for their precinct, so the precinct keeps its place (a call that verifies
for it, the chair calling in again, waits there) until an admin puts the chair back, or a
chair parked while holding hangs up (lua/call_ended.lua keeps the place for a while then,
as for anyone who hangs up while waiting).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import redis

from hotline.clock import Clock
from hotline.store import audit, keys

# Who parks a chair, in the audit trail.
DISPATCH_AUTHOR = "dispatch"
# What Twilio refused.
CALL_BACK, MOVE = "call-back", "move"


@dataclass(frozen=True)
class Refusal:
    """A request Twilio refused for good: what it was for, and Twilio's answer."""

    what: str  # CALL_BACK or MOVE
    message: str
    status: int | None = None
    code: int | None = None

    @property
    def cause(self) -> tuple[str, int | None, int | None]:
        """What was refused, and Twilio's status and code: the same for every call when
        the fault is the hotline's own.
        """
        return self.what, self.status, self.code


@dataclass(frozen=True)
class ParkedChair:
    call_sid: str
    precinct: str
    score: float
    # The chair's line entry, as it goes back in line; its "refusals" counts how many times
    # Twilio refused this call.
    entry: dict[str, Any]
    parked_at: float
    refusal: Refusal

    @property
    def number(self) -> str | None:
        return self.entry.get("number")

    @property
    def refusals(self) -> int:
        return int(self.entry.get("refusals", 0))

    def to_json(self) -> str:
        return json.dumps(
            {
                "call_sid": self.call_sid,
                "precinct": self.precinct,
                "score": self.score,
                "entry": self.entry,
                "parked_at": self.parked_at,
                "what": self.refusal.what,
                "reason": self.refusal.message,
                "status": self.refusal.status,
                "code": self.refusal.code,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, raw: str) -> ParkedChair:
        data = json.loads(raw)
        refusal = Refusal(
            what=data["what"], message=data["reason"], status=data["status"], code=data["code"]
        )
        return cls(
            call_sid=data["call_sid"],
            precinct=data["precinct"],
            score=float(data["score"]),
            entry=data["entry"],
            parked_at=float(data["parked_at"]),
            refusal=refusal,
        )


def park(
    pipe: redis.client.Pipeline,
    call_sid: str,
    entry: dict[str, Any],
    score: float,
    refusal: Refusal,
    *,
    now: float,
) -> ParkedChair:
    """Queue on `pipe` the parking of a call the pairing took out of the line (so it no
    longer counts for its precinct), with the audit entry that tells the admins.
    """
    counted = {**entry, "refusals": int(entry.get("refusals", 0)) + 1}
    chair = ParkedChair(
        call_sid=call_sid,
        precinct=entry["precinct"],
        score=score,
        entry=counted,
        parked_at=now,
        refusal=refusal,
    )
    pipe.hset(keys.PARKED, call_sid, chair.to_json())
    # Counted for the precinct again, whose place is this call's score if no other call
    # for it waits: the place survives the parking.
    pipe.hincrby(keys.PRECINCT_CALLS, chair.precinct, 1)
    pipe.hsetnx(keys.PRECINCT_PLACES, chair.precinct, repr(score))
    audit.record(
        pipe,
        now,
        "chair-parked",
        chair.precinct,
        DISPATCH_AUTHOR,
        refusal.message,
        call_sid=call_sid,
        what=refusal.what,
        status=refusal.status,
        code=refusal.code,
        refusals=chair.refusals,
    )
    return chair


class Parked:
    def __init__(self, client: redis.Redis, clock: Clock) -> None:
        self._redis = client
        self._clock = clock

    def all(self) -> list[ParkedChair]:
        """Every parked chair, in the order of their places in line."""
        chairs = [ParkedChair.from_json(raw) for raw in self._redis.hvals(keys.PARKED)]
        return sorted(chairs, key=lambda chair: (chair.score, chair.call_sid))

    def put_back(self, call_sid: str, *, author: str, reason: str = "") -> ParkedChair | None:
        """Put a parked chair back in line, in their place (an admin did, after fixing
        what Twilio refused): the next dispatch tries them again. None when the call is
        not parked (put back already, or the chair hung up).
        """

        def change(pipe: redis.client.Pipeline) -> ParkedChair | None:
            raw = pipe.hget(keys.PARKED, call_sid)
            if raw is None:
                return None
            chair = ParkedChair.from_json(raw)
            pipe.multi()
            pipe.hdel(keys.PARKED, call_sid)
            # Still counted for the precinct (park above): only the line itself changes.
            pipe.zadd(keys.LINE, {call_sid: chair.score})
            pipe.hset(keys.WAITING, call_sid, json.dumps(chair.entry, sort_keys=True))
            if not chair.entry.get("callback"):
                pipe.sadd(keys.HOLDING, call_sid)  # still in Twilio's queue
            audit.record(
                pipe,
                self._clock.now(),
                "chair-put-back",
                chair.precinct,
                author,
                reason,
                call_sid=call_sid,
            )
            return chair

        return self._redis.transaction(change, keys.PARKED, value_from_callable=True)
