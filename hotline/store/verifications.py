"""Calls back that prove a chair or a volunteer whose PIN budget is spent.

A verification is booked (lua/book_call_back.lua: at most one call back to a phone
every few minutes, and a few a window), a worker places the call, and the first call
to answer it claims it: a verification is used by one call only, so a replayed request
cannot reuse it.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

import redis

from hotline.store import keys
from hotline.store.scripts import Scripts
from hotline.triage import PinDefence

# A booked call back not used within this long is forgotten.
VERIFICATION_TTL_S = 1800


@dataclass(frozen=True)
class Verification:
    id: str
    kind: str  # "precinct" or "volunteer"
    target: str  # the precinct code or the volunteer id
    phone: str  # the registered phone it calls
    from_number: str  # the hotline number the person dialled, shown as the caller ID
    arrived_at: float  # when the call that asked for it came in: the chair keeps that place
    language: str | None = None  # that call's, spoken on the call back; None: the first

    @classmethod
    def from_fields(cls, verification_id: str, fields: dict[str, str]) -> Verification:
        return cls(
            id=verification_id,
            kind=fields["kind"],
            target=fields["target"],
            phone=fields["phone"],
            from_number=fields["from_number"],
            arrived_at=float(fields["arrived_at"]),
            language=fields.get("language"),
        )


class Verifications:
    def __init__(self, client: redis.Redis, scripts: Scripts, defence: PinDefence) -> None:
        self._redis = client
        self._scripts = scripts
        self._defence = defence

    def book(
        self,
        *,
        now: float,
        kind: str,
        target: str,
        phone: str,
        from_number: str,
        arrived_at: float,
        language: str | None = None,
    ) -> Verification | None:
        """Book a call back to `phone`; None when its allowance does not permit one now."""
        verification = Verification(
            id=secrets.token_hex(12),
            kind=kind,
            target=target,
            phone=phone,
            from_number=from_number,
            arrived_at=arrived_at,
            language=language,
        )
        fields = {
            "kind": kind,
            "target": target,
            "phone": phone,
            "from_number": from_number,
            "arrived_at": repr(arrived_at),
            "booked_at": repr(now),
        }
        if language is not None:
            fields["language"] = language
        defence = self._defence
        booked = self._scripts.book_call_back(
            keys=[keys.call_backs(phone), keys.verification(verification.id)],
            args=[
                repr(now),
                defence.window_s,
                defence.callback_spacing_s,
                defence.callbacks_per_window,
                verification.id,
                json.dumps(fields),
                VERIFICATION_TTL_S,
            ],
        )
        return verification if booked else None

    def get(self, verification_id: str) -> Verification | None:
        fields = self._redis.hgetall(keys.verification(verification_id))
        return Verification.from_fields(verification_id, fields) if fields else None

    def claim(self, verification_id: str, call_sid: str) -> Verification | None:
        """The call `call_sid` answered the call back: the verification is its own, unless
        another call claimed it first (then None, as for one that has expired).
        """
        key = keys.verification(verification_id)

        def change(pipe: redis.client.Pipeline) -> Verification | None:
            fields = pipe.hgetall(key)
            if not fields.get("kind") or fields.get("answered_by") not in (None, call_sid):
                return None
            pipe.multi()
            pipe.hset(key, "answered_by", call_sid)
            return Verification.from_fields(verification_id, fields)

        return self._redis.transaction(change, key, value_from_callable=True)

    def owned_by(self, verification_id: str, call_sid: str) -> Verification | None:
        """The verification, if `call_sid` is the call that claimed it."""
        fields = self._redis.hgetall(keys.verification(verification_id))
        if not fields.get("kind") or fields.get("answered_by") != call_sid:
            return None
        return Verification.from_fields(verification_id, fields)

    def done(self, verification_id: str) -> None:
        self._redis.delete(keys.verification(verification_id))
