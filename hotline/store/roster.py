"""The precinct roster: names, counties, registered chair phones and PIN digests."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import redis

from hotline.store import audit, keys


@dataclass(frozen=True)
class Precinct:
    code: str
    county: str
    name: str
    pin_digest: str
    chair_phone: str | None = None
    delegates: int | None = None
    # The backup code's keyed digest (hotline.pins.backup_digest), asked for with the PIN
    # once the precinct's PIN budget is spent.
    backup_digest: str | None = None
    # Set when a volunteer marks the precinct's results as reported (console).
    reported_at: float | None = None
    reported_by: str | None = None


class Roster:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    def replace_all(self, precincts: Iterable[Precinct]) -> int:
        """Load a whole roster in one transaction: all of it lands, or none of it."""
        precincts = list(precincts)
        old_codes = self._redis.smembers(keys.PRECINCTS)
        with self._redis.pipeline(transaction=True) as pipe:
            for code in old_codes:
                pipe.delete(keys.precinct(code))
            pipe.delete(keys.PRECINCTS, keys.CHAIR_PHONES)
            for precinct in precincts:
                fields = {
                    "county": precinct.county,
                    "name": precinct.name,
                    "pin_digest": precinct.pin_digest,
                }
                if precinct.chair_phone:
                    fields["chair_phone"] = precinct.chair_phone
                    pipe.hset(keys.CHAIR_PHONES, precinct.chair_phone, precinct.code)
                if precinct.delegates is not None:
                    fields["delegates"] = str(precinct.delegates)
                if precinct.backup_digest:
                    fields["backup_digest"] = precinct.backup_digest
                pipe.hset(keys.precinct(precinct.code), mapping=fields)
                pipe.sadd(keys.PRECINCTS, precinct.code)
            pipe.execute()
        return len(precincts)

    def get(self, code: str) -> Precinct | None:
        fields = self._redis.hgetall(keys.precinct(code))
        if not fields:
            return None
        return Precinct(
            code=code,
            county=fields["county"],
            name=fields["name"],
            pin_digest=fields["pin_digest"],
            chair_phone=fields.get("chair_phone"),
            delegates=int(fields["delegates"]) if "delegates" in fields else None,
            backup_digest=fields.get("backup_digest"),
            reported_at=float(fields["reported_at"]) if "reported_at" in fields else None,
            reported_by=fields.get("reported_by"),
        )

    def mark_reported(self, code: str, *, author: str, now: float) -> bool:
        """Record that a precinct's results were taken; False if it is not on the roster.

        Audited. Reloading the roster (replace_all) starts every precinct afresh.
        """
        if not self._redis.sismember(keys.PRECINCTS, code):
            return False
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.precinct(code), mapping={"reported_at": repr(now),
                                                    "reported_by": author})  # fmt: skip
            audit.record(pipe, now, "precinct-reported", code, author, "")
            pipe.execute()
        return True

    def chair_phones(self) -> list[tuple[str, str]]:
        """(precinct code, registered chair phone) of every precinct that has one, by code."""
        phones = self._redis.hgetall(keys.CHAIR_PHONES)
        return sorted((precinct, phone) for phone, precinct in phones.items())

    def count(self) -> int:
        return self._redis.scard(keys.PRECINCTS)
