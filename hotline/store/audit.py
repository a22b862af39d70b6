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
    pipe: redis.Redis, at: float, action: str, target: str, author: str, reason: str,
    **details: Any,
) -> None:
    """Queue an audit entry on `pipe` (a pipeline, so it commits with the change it records)."""
    fields = audit_fields(at, action, target, author, reason, **details)
    pipe.xadd(keys.AUDIT, fields, maxlen=AUDIT_MAX_ENTRIES, approximate=True)


def recent(client: redis.Redis, count: int = 50) -> list[AuditEntry]:
    entries = client.xrevrange(keys.AUDIT, count=count)
    return [_entry(entry_id, fields) for entry_id, fields in entries]


def between(client: redis.Redis, start: float, end: float) -> list[AuditEntry]:
    """Every entry made at `start` or later and before `end` (by its own time, the clock's
    that made it), in the order they were made. Reads the whole trail, a page at a time:
    it is capped, and the times are the clock's, not the stream's ids.
    """
    found: list[AuditEntry] = []
    after = "-"
    while page := client.xrange(keys.AUDIT, min=after, count=READ_PAGE):
        found += [entry for entry in (_entry(i, f) for i, f in page) if start <= entry.at < end]
        after = f"({page[-1][0]}"
    return sorted(found, key=lambda entry: entry.at)


def _entry(entry_id: str, fields: dict[str, str]) -> AuditEntry:
    return AuditEntry(
        id=entry_id,
        at=float(fields["at"]),
        action=fields["action"],
        target=fields["target"],
        author=fields["author"],
        reason=fields["reason"],
        details=json.loads(fields.get("details") or "{}"),
    )
