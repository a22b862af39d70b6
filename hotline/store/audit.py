"""The audit trail: every block, unblock, allow and automatic action, with who and why."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import redis

from hotline.store import keys

# Roughly a year of a busy election night's admin actions; XADD trims lazily.
AUDIT_MAX_ENTRIES = 100_000
# Entries read in one request when the whole trail is read.
READ_PAGE = 1_000


@dataclass(frozen=True)
class AuditEntry:
    id: str
    at: float
    action: str
    target: str
    author: str
    reason: str
    details: dict[str, Any]


def audit_fields(
    at: float, action: str, target: str, author: str, reason: str, **details: Any
) -> dict[str, str]:
    return {
        "at": repr(at),
        "action": action,
        "target": target,
        "author": author,
        "reason": reason,
        "details": json.dumps(details, sort_keys=True),
    }


def record(
    pipe: redis.Redis,
    at: float,
    action: str,
    target: str,
    author: str,
    reason: str,
    **details: Any,
) -> None:
    """Queue an audit entry on `pipe` (a pipeline, so it commits with the change it records)."""
    fields = audit_fields(at, action, target, author, reason, **details)
    pipe.xadd(keys.AUDIT, fields, maxlen=AUDIT_MAX_ENTRIES, approximate=True)


def recent(client: redis.Redis, count: int = 50) -> list[AuditEntry]:
    return [
        entry_from(entry_id, fields)
        for entry_id, fields in client.xrevrange(keys.AUDIT, count=count)
    ]


# How far back a search of the trail reads at most, newest first: a filter that matches
# little must not make one page read a whole night's trail.
SEARCH_READS_AT_MOST = 5000
_SEARCH_PAGE = 500


def between(client: redis.Redis, start: float, end: float) -> list[AuditEntry]:
    """Every entry made at `start` or later and before `end` (by its own time, the clock's
    that made it), in the order they were made. Reads the whole trail, a page at a time:
    it is capped, and the times are the clock's, not the stream's ids.
    """
    found: list[AuditEntry] = []
    after = "-"
    while page := client.xrange(keys.AUDIT, min=after, count=READ_PAGE):
        found += [entry for entry in (entry_from(i, f) for i, f in page) if start <= entry.at < end]
        after = f"({page[-1][0]}"
    return sorted(found, key=lambda entry: entry.at)


def entry_from(entry_id: str, fields: dict[str, str]) -> AuditEntry:
    return AuditEntry(
        id=entry_id,
        at=float(fields["at"]),
        action=fields["action"],
        target=fields["target"],
        author=fields["author"],
        reason=fields["reason"],
        details=json.loads(fields.get("details") or "{}"),
    )


@dataclass(frozen=True)
class AuditFilter:
    """Entries of one action, by one author, about a target starting with some text,
    made at or after `since` and before `until`; empty parts match everything.
    """

    action: str = ""
    author: str = ""
    target: str = ""
    since: float | None = None
    until: float | None = None

    def matches(self, entry: AuditEntry) -> bool:
        return (
            (not self.action or entry.action == self.action)
            and (not self.author or entry.author.lower() == self.author.lower())
            and entry.target.startswith(self.target)
            and (self.until is None or entry.at < self.until)
        )


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    # False when the search stopped after SEARCH_READS_AT_MOST entries: older ones may match.
    complete: bool


class AuditTrail:
    def __init__(self, client: redis.Redis, clock) -> None:
        self._redis = client
        self._clock = clock

    def note(self, action: str, target: str, author: str, reason: str, **details: Any) -> None:
        """One entry about something done outside any other change (a job retried)."""
        with self._redis.pipeline(transaction=True) as pipe:
            record(pipe, self._clock.now(), action, target, author, reason, **details)
            pipe.execute()

    def search(self, wanted: AuditFilter, limit: int = 100) -> AuditPage:
        """The newest entries that match, at most `limit`. The trail is read newest first and
        entries are written in time order, so the reading stops at the first entry older
        than `since`.
        """
        found: list[AuditEntry] = []
        upper, read = "+", 0
        while read < SEARCH_READS_AT_MOST:
            page = self._redis.xrevrange(keys.AUDIT, max=upper, count=_SEARCH_PAGE)
            if not page:
                return AuditPage(found, complete=True)
            for entry_id, fields in page:
                read += 1
                entry = entry_from(entry_id, fields)
                if wanted.since is not None and entry.at < wanted.since:
                    return AuditPage(found, complete=True)
                if wanted.matches(entry):
                    found.append(entry)
                    if len(found) == limit:
                        return AuditPage(found, complete=True)
            upper = "(" + page[-1][0]  # older than the last entry read
        return AuditPage(found, complete=False)
