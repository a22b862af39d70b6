"""Reading the line back in tests: where a precinct's call stands, who is free."""

from __future__ import annotations

import json

from hotline.store import keys


def place_of(services, precinct: str) -> int | None:
    """The 1-based place of the first call waiting for `precinct`, or None."""
    for place, chair in enumerate(services.store.line.waiting(limit=10_000), start=1):
        if chair.precinct == precinct:
            return place
    return None


def free_volunteers(services) -> int:
    return services.store.redis.zcard(keys.FREE_VOLUNTEERS)


def entry_of(services, precinct: str) -> dict | None:
    """The line entry of the first call waiting for `precinct`, as stored, or None."""
    for raw in services.store.redis.hvals(keys.WAITING):
        entry = json.loads(raw)
        if entry["precinct"] == precinct:
            return entry
    return None
