"""The precinct roster: names, counties, registered chair phones and PIN digests."""

from __future__ import annotations

import json
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
    # Where a satellite caucus meets (ISO 3166: "FR", "US-AZ"); None for a precinct.
    satellite: str | None = None
    # The language of the precinct's prompts; None for the hotline's first.
    language: str | None = None

    def traits(self) -> dict[str, str]:
        """What an arriving call from the chair's phone needs to know of the precinct."""
        found = {"satellite": self.satellite, "language": self.language}
        return {name: value for name, value in found.items() if value}


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
            pipe.delete(keys.PRECINCTS, keys.CHAIR_PHONES, keys.PRECINCT_TRAITS)
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
                if precinct.traits():
                    fields.update(precinct.traits())
                    # Read by the inbound script for a registered chair's number.
                    pipe.hset(
                        keys.PRECINCT_TRAITS,
                        precinct.code,
                        json.dumps(precinct.traits(), sort_keys=True),
                    )
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
            satellite=fields.get("satellite"),
            language=fields.get("language"),
        )

    def mark_reported(self, code: str, *, author: str, now: float) -> bool:
        """Record that a precinct's results were taken; False if it is not on the roster.

        Audited. Reloading the roster (replace_all) starts every precinct afresh.
        """
        if not self._redis.sismember(keys.PRECINCTS, code):
            return False
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                keys.precinct(code), mapping={"reported_at": repr(now), "reported_by": author}
            )
            audit.record(pipe, now, "precinct-reported", code, author, "")
            pipe.execute()
        return True

    def chair_phones(self) -> list[tuple[str, str]]:
        """(precinct code, registered chair phone) of every precinct that has one, by code."""
        phones = self._redis.hgetall(keys.CHAIR_PHONES)
        return sorted((precinct, phone) for phone, precinct in phones.items())

    def languages(self) -> dict[str, str]:
        """The language of each precinct that has one of its own (roster column `language`),
        by code; one read.
        """
        traits = self._redis.hgetall(keys.PRECINCT_TRAITS)
        found = {code: json.loads(raw).get("language") for code, raw in traits.items()}
        return {code: language for code, language in found.items() if language}

    def count(self) -> int:
        return self._redis.scard(keys.PRECINCTS)
