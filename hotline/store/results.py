"""Stored precinct results: every version kept, receipts, verification, keypad drafts.

- Every save is a new version (1, 2, ...) of the precinct's report, with its channel
  ("keypad" or "volunteer"), author, time, receipt code and the warnings accepted; a
  correction never overwrites. Each save is audited and marks the precinct reported, in
  the same transaction as the version it stores.
- A save names an idempotency key (the confirming call's CallSid and step, a form's
  submission id): the same key never stores twice, it returns the version it stored.
- A receipt is 6 random digits (`secrets`), unique across the hotline, naming one version.
- A volunteer may verify a keypad version: recorded beside it, never in place of it.
- A keypad draft (what a chair has keyed so far) lives under the precinct and the call
  keying it, and expires: two calls keying one precinct at once each key their own. A
  dropped call's entry is resumed on the chair's next call, which takes it over (the old
  call, were it still keying, is told). Every save empties the precinct's index of
  drafts in its own transaction (and deletes the confirming call's draft): a draft keyed
  before the precinct's latest stored version is never offered again as unfinished.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import redis
from redis.exceptions import WatchError

from hotline.caucus.findings import Finding
from hotline.caucus.report import CoinToss, PrecinctReport
from hotline.store import audit, keys

CHANNELS = ("keypad", "volunteer")
RECEIPT_DIGITS = 6
# A save retries when another one changed what it watched (or drew a receipt in use).
SAVE_TRIES = 20
# What a taken-over draft holds instead of its entries: the call that resumed it.
TAKEN_OVER_BY = "taken_over_by"


class SaveConflict(RuntimeError):
    """A save could not be applied after SAVE_TRIES attempts (heavy contention)."""


@dataclass(frozen=True)
class StoredReport:
    precinct: str
    version: int
    report: PrecinctReport
    channel: str
    author: str
    at: float
    receipt: str
    # Warnings accepted when it was saved (a blocking finding is never stored).
    findings: tuple[Finding, ...] = ()
    verified_by: str | None = None
    verified_at: float | None = None


@dataclass(frozen=True)
class Draft:
    """A keypad report part keyed. Counts are by candidate key; `stage` is where the chair
    is: "attendance", "first", "final" or "review".
    """

    call_sid: str
    stage: str = "attendance"
    attendance: int | None = None
    first: Mapping[str, int] = field(default_factory=dict)
    final: Mapping[str, int] = field(default_factory=dict)
    coin_tosses: tuple[CoinToss, ...] = ()
    updated_at: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "first", MappingProxyType(dict(self.first)))
        object.__setattr__(self, "final", MappingProxyType(dict(self.final)))
        object.__setattr__(self, "coin_tosses", tuple(self.coin_tosses))

    def report(self, precinct: str) -> PrecinctReport:
        return PrecinctReport(
            precinct=precinct,
            attendance=self.attendance or 0,
            first=self.first,
            final=self.final,
            coin_tosses=self.coin_tosses,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "call_sid": self.call_sid,
            "stage": self.stage,
            "attendance": self.attendance,
            "first": dict(self.first),
            "final": dict(self.final),
            "coin_tosses": [toss.to_dict() for toss in self.coin_tosses],
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Draft:
        return cls(
            call_sid=str(data.get("call_sid", "")),
            stage=str(data.get("stage", "attendance")),
            attendance=data.get("attendance"),
            first=dict(data.get("first") or {}),
            final=dict(data.get("final") or {}),
            coin_tosses=tuple(CoinToss.from_dict(t) for t in data.get("coin_tosses") or ()),
            updated_at=float(data.get("updated_at") or 0.0),
        )


def new_receipt() -> str:
    """A receipt code: 6 digits from the operating system's secure generator."""
    return f"{secrets.randbelow(10**RECEIPT_DIGITS):0{RECEIPT_DIGITS}d}"


class Results:
    def __init__(self, client: redis.Redis, draw_receipt: Callable[[], str] = new_receipt) -> None:
        self._redis = client
        # Tests pass their own draw to pin receipts; the hotline's is new_receipt.
        self._draw_receipt = draw_receipt

    # Saving

    def save(
        self,
        report: PrecinctReport,
        *,
        channel: str,
        author: str,
        now: float,
        findings: tuple[Finding, ...],
        idempotency_key: str,
        draft_of: str | None = None,
    ) -> StoredReport:
        """Store `report` as the precinct's next version, or return the version this
        idempotency key already stored. Atomic (WATCH/MULTI): the version, the receipt, the
        precinct's "reported" mark, the audit entry, the emptying of the precinct's index
        of keypad drafts (all keyed before this version) and, with `draft_of` (a CallSid),
        the deletion of that call's draft land together, or not at all.
        """
        if channel not in CHANNELS:
            raise ValueError(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
        if not idempotency_key:
            raise ValueError("a save needs an idempotency key")
        if any(finding.blocking for finding in findings):
            raise ValueError("a report with a blocking finding cannot be stored")
        code = report.precinct
        versions_key = keys.results_versions(code)
        for _ in range(SAVE_TRIES):
            with self._redis.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(versions_key, keys.RESULTS_SAVES, keys.RESULTS_RECEIPTS)
                    done = pipe.hget(keys.RESULTS_SAVES, idempotency_key)
                    if done is not None:
                        pipe.unwatch()
                        stored = self._by_reference(done)
                        if stored is None:  # pragma: no cover - a saved version is never removed
                            raise SaveConflict(f"save {idempotency_key!r} names {done!r}, gone")
                        return stored
                    version = pipe.hlen(versions_key) + 1
                    receipt = self._draw_receipt()
                    if pipe.hexists(keys.RESULTS_RECEIPTS, receipt):
                        continue
                    on_roster = pipe.sismember(keys.PRECINCTS, code)
                    stored = StoredReport(
                        precinct=code,
                        version=version,
                        report=report,
                        channel=channel,
                        author=author,
                        at=now,
                        receipt=receipt,
                        findings=tuple(findings),
                    )
                    reference = f"{code}:{version}"
                    pipe.multi()
                    pipe.hset(versions_key, str(version), json.dumps(_body(stored), sort_keys=True))
                    pipe.hset(keys.RESULTS_LATEST, code, str(version))
                    pipe.hset(keys.RESULTS_RECEIPTS, receipt, reference)
                    pipe.hset(keys.RESULTS_SAVES, idempotency_key, reference)
                    if on_roster:
                        pipe.hset(
                            keys.precinct(code),
                            mapping={"reported_at": repr(now), "reported_by": author},
                        )
                    audit.record(
                        pipe,
                        now,
                        "results-saved",
                        code,
                        author,
                        "",
                        version=version,
                        channel=channel,
                        receipt=receipt,
                        warnings=[f.code for f in findings],
                    )
                    pipe.delete(keys.results_drafts(code))
                    if draft_of:
                        pipe.delete(keys.results_draft(code, draft_of))
                    pipe.execute()
                    return stored
                except WatchError:
                    continue
        raise SaveConflict(f"precinct {code}: could not store the report")

    # Reading

    def latest(self, precinct: str) -> StoredReport | None:
        version = self._redis.hget(keys.RESULTS_LATEST, precinct)
        return self.version(precinct, int(version)) if version else None

    def version(self, precinct: str, version: int) -> StoredReport | None:
        with self._redis.pipeline(transaction=False) as pipe:
            pipe.hget(keys.results_versions(precinct), str(version))
            pipe.hget(keys.results_verified(precinct), str(version))
            body, verified = pipe.execute()
        return _stored(precinct, version, body, verified) if body else None

    def versions(self, precinct: str) -> list[StoredReport]:
        """Every version of a precinct's report, oldest first."""
        with self._redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(keys.results_versions(precinct))
            pipe.hgetall(keys.results_verified(precinct))
            bodies, verified = pipe.execute()
        return [
            _stored(precinct, int(n), bodies[n], verified.get(n)) for n in sorted(bodies, key=int)
        ]

    def by_receipt(self, code: str) -> StoredReport | None:
        reference = self._redis.hget(keys.RESULTS_RECEIPTS, code.strip())
        return self._by_reference(reference) if reference else None

    def reported_precincts(self) -> list[str]:
        return sorted(self._redis.hkeys(keys.RESULTS_LATEST))

    def all_latest(self) -> Iterator[StoredReport]:
        """The latest version of every reported precinct, by precinct code."""
        latest = self._redis.hgetall(keys.RESULTS_LATEST)
        codes = sorted(latest)
        for start in range(0, len(codes), 500):
            chunk = codes[start : start + 500]
            with self._redis.pipeline(transaction=False) as pipe:
                for code in chunk:
                    pipe.hget(keys.results_versions(code), latest[code])
                    pipe.hget(keys.results_verified(code), latest[code])
                replies = pipe.execute()
            for index, code in enumerate(chunk):
                body, verified = replies[2 * index], replies[2 * index + 1]
                if body:
                    yield _stored(code, int(latest[code]), body, verified)

    # Verifying

    def verify(self, precinct: str, version: int, *, author: str, now: float) -> bool:
        """A volunteer checked a version (a keypad report, say). False when there is no such
        version or it was verified already. Audited; the counts are not touched.
        """
        if not self._redis.hexists(keys.results_versions(precinct), str(version)):
            return False
        mark = json.dumps({"by": author, "at": now}, sort_keys=True)
        if not self._redis.hsetnx(keys.results_verified(precinct), str(version), mark):
            return False
        with self._redis.pipeline(transaction=True) as pipe:
            audit.record(pipe, now, "results-verified", precinct, author, "", version=version)
            pipe.execute()
        return True

    def to_verify(self) -> list[StoredReport]:
        """Latest versions taken on the keypad that no volunteer has verified yet."""
        return [
            stored
            for stored in self.all_latest()
            if stored.channel == "keypad" and stored.verified_by is None
        ]

    # Keypad drafts

    def draft(self, precinct: str, call_sid: str) -> Draft | None:
        """What this call has keyed for the precinct (None once another call took it over:
        see `taken_over`)."""
        text = self._redis.get(keys.results_draft(precinct, call_sid))
        data = json.loads(text) if text else None
        return Draft.from_dict(data) if data and TAKEN_OVER_BY not in data else None

    def taken_over(self, precinct: str, call_sid: str) -> bool:
        """Whether another call took this call's draft over (resumed it)."""
        text = self._redis.get(keys.results_draft(precinct, call_sid))
        return bool(text) and TAKEN_OVER_BY in json.loads(text)

    def unfinished_draft(self, precinct: str, *, other_than: str = "") -> Draft | None:
        """The precinct's most recently keyed draft since its latest stored version (a save
        empties the index), by a call other than `other_than`. Drafts that expired leave
        the index here.
        """
        index = keys.results_drafts(precinct)
        call_sids = [sid for sid in self._redis.zrevrange(index, 0, -1) if sid != other_than]
        if not call_sids:
            return None
        texts = self._redis.mget([keys.results_draft(precinct, sid) for sid in call_sids])
        expired = [sid for sid, text in zip(call_sids, texts, strict=True) if text is None]
        if expired:
            self._redis.zrem(index, *expired)
        for text in texts:
            data = json.loads(text) if text else None
            if data and TAKEN_OVER_BY not in data:
                return Draft.from_dict(data)
        return None

    def save_draft(
        self, precinct: str, draft: Draft, ttl_s: float, *, taking_over: str | None = None
    ) -> None:
        """Keep the draft of its call (`draft.call_sid`); `taking_over`, the call whose draft
        it resumes, is marked taken over in the same transaction, so that only one call
        goes on keying it.
        """
        ttl = max(1, int(ttl_s))
        index = keys.results_drafts(precinct)
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(
                keys.results_draft(precinct, draft.call_sid),
                json.dumps(draft.to_dict(), sort_keys=True),
                ex=ttl,
            )
            pipe.zadd(index, {draft.call_sid: draft.updated_at})
            if taking_over and taking_over != draft.call_sid:
                pipe.set(
                    keys.results_draft(precinct, taking_over),
                    json.dumps({TAKEN_OVER_BY: draft.call_sid}),
                    ex=ttl,
                )
                pipe.zrem(index, taking_over)
            pipe.expire(index, ttl)
            pipe.execute()

    def _by_reference(self, reference: str) -> StoredReport | None:
        precinct, _, version = reference.rpartition(":")
        return self.version(precinct, int(version)) if version.isdigit() else None


def _body(stored: StoredReport) -> dict[str, Any]:
    return {
        "report": stored.report.to_dict(),
        "channel": stored.channel,
        "author": stored.author,
        "at": stored.at,
        "receipt": stored.receipt,
        "findings": [
            {"code": f.code, "message": f.message, "blocking": f.blocking} for f in stored.findings
        ],
    }


def _stored(precinct: str, version: int, body: str, verified: str | None) -> StoredReport:
    data = json.loads(body)
    mark = json.loads(verified) if verified else {}
    return StoredReport(
        precinct=precinct,
        version=version,
        report=PrecinctReport.from_dict(data["report"]),
        channel=data["channel"],
        author=data["author"],
        at=float(data["at"]),
        receipt=data["receipt"],
        findings=tuple(
            Finding(f["code"], f["message"], bool(f["blocking"])) for f in data.get("findings", ())
        ),
        verified_by=mark.get("by"),
        verified_at=float(mark["at"]) if "at" in mark else None,
    )
