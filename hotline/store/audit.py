"""The audit trail: every block, unblock, allow and automatic action, with who and why."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import redis

from hotline.store import keys

# Roughly a year of a busy election night's admin actions; XADD trims lazily.
AUDIT_MAX_ENTRIES = 100_000


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
    entries = []
    for entry_id, fields in client.xrevrange(keys.AUDIT, count=count):
        entries.append(
            AuditEntry(
                id=entry_id,
                at=float(fields["at"]),
                action=fields["action"],
                target=fields["target"],
                author=fields["author"],
                reason=fields["reason"],
                details=json.loads(fields.get("details") or "{}"),
            )
        )
    return entries
