"""Calls as Redis sees them: arrival (counting and facts), PIN failures, verdicts, the end."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import redis

from hotline.store import keys, night_figures
from hotline.store.blocks import Block
from hotline.store.scripts import Scripts
from hotline.store.tonight import Tonight
from hotline.triage import CallerFacts, Policy, Verdict

# Call records outlive the night they belong to, then go.
CALL_RECORD_TTL_S = 2 * 86400
RECENT_CALLS_CAP = 10_000
# Call records read in one pipeline: a night's report reads every call of the night.
READ_BATCH = 1_000
# Stand-in key owner for callers with no caller ID, whose per-number keys are never written.
WITHHELD = "withheld"


@dataclass(frozen=True)
class Arrival:
    """What the inbound script found: a block in force, or the caller's facts and the
    policy in force (config/'s with tonight's thresholds, store/tonight.py).
    """

    block: Block | None = None
    facts: CallerFacts | None = None
    policy: Policy | None = None
    # The language of a registered chair's precinct, when it has its own.
    chair_language: str | None = None


@dataclass(frozen=True)
class CallRecord:
    call_sid: str
    number: str | None
    started_at: float | None
    verdict: str | None
    reasons: tuple[str, ...]
    enforced: bool
    precinct: str | None
    verified_at: float | None
    status: str | None
    ended_at: float | None
    duration_s: float | None
    pin_failures: int
    facts: dict[str, Any]
    request: dict[str, Any]
    # "volunteer" for a volunteer's own leg; "caller" otherwise.
    kind: str = "caller"
    # The volunteer this caller was put through to, or whose leg this is.
    volunteer: str | None = None
    # A call back booked on this call, to be placed once this call has ended (the phone it
    # rings may be the very one this call is on).
    call_back: str | None = None
    # When a volunteer answered: the caller arrived in the volunteer's room.
    answered_at: float | None = None
    # What the call was counted as among the night's figures (store/night_figures.py), once it is.
    counted: str | None = None


@dataclass(frozen=True)
class CallEnd:
    applied: bool
    left_line: bool


def facts_from_script(raw: dict[str, Any], request: dict[str, str]) -> CallerFacts:
    return CallerFacts(
        number=raw.get("number") or None,
        calls_short=int(raw.get("calls_short", 1)),
        calls_long=int(raw.get("calls_long", 1)),
        instant_hangups_long=int(raw.get("instant_hangups_long", 0)),
        flags=int(raw.get("flags", 0)),
        temp_blocks=int(raw.get("temp_blocks", 0)),
        admin_allowed=bool(raw.get("admin_allowed", False)),
        chair_precinct=raw.get("chair_precinct"),
        verified_recently=bool(raw.get("verified_recently", False)),
        stir_verstat=request.get("stir_verstat") or None,
        from_state=request.get("from_state") or None,
        from_country=request.get("from_country") or None,
        flood_switch=bool(raw.get("flood_switch", False)),
        calls_this_minute=int(raw.get("calls_this_minute", 1)),
        withheld_pin_failures=int(raw.get("withheld_pin_failures", 0)),
        chair_satellite=(raw.get("chair_traits") or {}).get("satellite"),
        called_retired_number=bool(raw.get("called_retired_number", False)),
    )


class Calls:
    def __init__(
        self, client: redis.Redis, scripts: Scripts, policy: Policy, tonight: Tonight
    ) -> None:
        self._redis = client
        self._scripts = scripts
        self._policy = policy
        self._tonight = tonight

    def arrive(
        self, *, now: float, call_sid: str, number: str | None, request: dict[str, str]
    ) -> Arrival:
        """Check blocks, count the call and read the caller's facts (whether the number it
        called, `request["to"]`, is retired among them) and the policy in force: one round
        trip.
        """
        owner = number or WITHHELD
        minute = night_figures.minute_of(now)
        raw = self._scripts.arrive(
            keys=[
                keys.BLOCKS,
                keys.CHAIR_PHONES,
                keys.FLOOD,
                keys.inbound_minute(int(now // 60)),
                keys.call(call_sid),
                keys.RECENT_CALLS,
                keys.caller_calls(owner),
                keys.caller_hangups(owner),
                keys.caller(owner),
                keys.WITHHELD_PIN_FAILURES,
                keys.ALLOWED,
                keys.BLOCKS_BY_TIME,
                keys.BLOCKS_BY_EXPIRY,
                keys.BLOCKS_BY_TARGET,
                night_figures.hour_key(minute),
                keys.TOP_CALLERS,
                keys.TONIGHT,
                keys.TOP_CALLERS_SEEN,
                keys.CALLS_BY_TIME,
                keys.PRECINCT_TRAITS,
                keys.RETIRED_NUMBERS,
            ],
            args=[
                repr(now),
                number or "",
                call_sid,
                self._policy.short_window_s,
                self._policy.long_window_s,
                CALL_RECORD_TTL_S,
                RECENT_CALLS_CAP,
                json.dumps(request, sort_keys=True),
                minute,
                night_figures.FIGURES_TTL_S,
                math.ceil(self._policy.long_window_s) + night_figures.RANKED_EVERY_S,
                self._tonight.held_version,
                request.get("to", ""),
            ],
        )
        result = json.loads(raw)
        if result.get("blocked"):
            return Arrival(block=Block.from_json(result["target"], json.dumps(result["block"])))
        facts = result["facts"]
        policy = self._tonight.resolve(facts["policy_version"], result.get("policy"))
        return Arrival(
            facts=facts_from_script(facts, request),
            policy=policy,
            chair_language=(facts.get("chair_traits") or {}).get("language"),
        )

    def book_call_back(self, call_sid: str, verification_id: str) -> None:
        """The call asked for a call back (verification_id), placed when this call ends."""
        self._redis.hset(keys.call(call_sid), "call_back", verification_id)

    def record_verdict(
        self, call_sid: str, verdict: Verdict, *, arrived_at: float | None = None
    ) -> None:
        """Keep the call's verdict; with `arrived_at`, count it too among the night's
        figures for the minute the call arrived, unless the call is counted already.
        """
        self._count(call_sid, verdict, arrived_at, record=True)

    def count_verdict(self, call_sid: str, verdict: Verdict, *, arrived_at: float) -> None:
        """Count the verdict a call got on arrival, unless it is counted already, leaving
        the verdict on its record as it is (a block for failed PINs came after it).
        """
        self._count(call_sid, verdict, arrived_at, record=False)

    def _count(
        self, call_sid: str, verdict: Verdict, arrived_at: float | None, *, record: bool
    ) -> None:
        fields = verdict_fields(verdict)
        minute = night_figures.minute_of(arrived_at or 0.0)
        figure = night_figures.verdict_figure(verdict) if arrived_at is not None else ""
        self._scripts.record_verdict(
            keys=[keys.call(call_sid), night_figures.hour_key(minute)],
            args=[
                fields["verdict"],
                fields["reasons"],
                fields["enforced"],
                figure,
                night_figures.field(minute, figure),
                night_figures.FIGURES_TTL_S,
                "0" if record else "1",
            ],
        )

    def take_step(self, call_sid: str, step: int, *, retry: bool = False) -> str:
        """Apply step `step` of a call, once and in order: "ok", or why not ("stale" for a
        step the call has passed, "ended", or "unknown" for a call with no record). A
        `retry` of the step just taken runs again (lua/take_step.lua says why).
        """
        return self._scripts.take_step(
            keys=[keys.call(call_sid)], args=[step, "1" if retry else "0"]
        )

    def record_leg(
        self,
        *,
        now: float,
        call_sid: str,
        number: str,
        kind: str,
        verdict: str,
        volunteer_id: str | None = None,
        precinct: str | None = None,
    ) -> None:
        """A call that did not come through the chairs' line: a volunteer calling in, a
        call back that proves someone, or one that puts a waiting chair (`precinct`)
        through. Recorded like an inbound call, so that its steps are applied once, its
        end is noticed and the night's report finds it. `kind` is "volunteer" for a
        volunteer's leg (its end takes them off duty), "caller" otherwise.
        """
        fields = {"from": number, "kind": kind, "verdict": verdict}
        if volunteer_id:
            fields["volunteer"] = volunteer_id
        if precinct:
            fields["precinct"] = precinct
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(keys.call(call_sid), "started_at", repr(now))
            pipe.hset(keys.call(call_sid), mapping=fields)
            pipe.expire(keys.call(call_sid), CALL_RECORD_TTL_S)
            pipe.zadd(keys.CALLS_BY_TIME, {call_sid: now}, nx=True)
            pipe.zremrangebyscore(keys.CALLS_BY_TIME, "-inf", f"({now - CALL_RECORD_TTL_S}")
            pipe.expire(keys.CALLS_BY_TIME, CALL_RECORD_TTL_S)
            pipe.execute()

    def end(
        self,
        *,
        now: float,
        call_sid: str,
        status: str,
        sequence: int | None,
        duration_s: float | None,
        terminal: bool,
        precinct: str | None,
        keep_place_s: float,
    ) -> CallEnd:
        applied, left = self._scripts.call_ended(
            keys=[
                keys.call(call_sid),
                keys.LINE,
                keys.WAITING,
                keys.kept_place(precinct or WITHHELD),
                keys.HOLDING,
                keys.PRECINCT_PLACES,
                keys.PRECINCT_CALLS,
                keys.PARKED,
            ],
            args=[
                repr(now),
                status,
                -1 if sequence is None else sequence,
                "" if duration_s is None else repr(duration_s),
                "1" if terminal else "0",
                precinct or "",
                int(keep_place_s),
                call_sid,
                CALL_RECORD_TTL_S,
            ],
        )
        return CallEnd(applied=bool(applied), left_line=bool(left))

    def get(self, call_sid: str) -> CallRecord | None:
        fields = self._redis.hgetall(keys.call(call_sid))
        return record_from_fields(call_sid, fields) if fields else None

    def recent(self, limit: int = 50) -> list[CallRecord]:
        return self._load(self._redis.lrange(keys.RECENT_CALLS, 0, limit - 1))

    def between(self, start: float, end: float) -> list[CallRecord]:
        """Every call on record that started at `start` or later and before `end`, in the
        order they started (inbound calls, and the legs record_leg wrote).
        """
        sids = self._redis.zrangebyscore(keys.CALLS_BY_TIME, start, f"({end}")
        records: list[CallRecord] = []
        for first in range(0, len(sids), READ_BATCH):
            records += self._load(sids[first : first + READ_BATCH])
        return records

    def _load(self, sids: list[str]) -> list[CallRecord]:
        """The records of `sids` still on record, in that order."""
        with self._redis.pipeline(transaction=False) as pipe:
            for sid in sids:
                pipe.hgetall(keys.call(sid))
            rows = pipe.execute()
        return [record_from_fields(sid, f) for sid, f in zip(sids, rows, strict=True) if f]


def verdict_fields(verdict: Verdict) -> dict[str, str]:
    return {
        "verdict": verdict.action.value,
        "reasons": json.dumps(list(verdict.reasons)),
        "enforced": "1" if verdict.enforced else "0",
    }


def record_from_fields(call_sid: str, fields: dict[str, str]) -> CallRecord:
    def number(name: str) -> float | None:
        return float(fields[name]) if fields.get(name) else None

    reasons = fields.get("reasons")
    block = fields.get("block")
    if reasons is None and block:
        reasons = json.dumps(
            [f"blocked ({fields.get('block_target')}): {json.loads(block)['reason']}"]
        )
    return CallRecord(
        call_sid=call_sid,
        number=fields.get("from") or None,
        started_at=number("started_at"),
        verdict=fields.get("verdict"),
        reasons=tuple(json.loads(reasons or "[]")),
        enforced=fields.get("enforced", "1") == "1",
        precinct=fields.get("precinct"),
        verified_at=number("verified_at"),
        status=fields.get("status"),
        ended_at=number("ended_at"),
        duration_s=number("duration"),
        pin_failures=int(fields.get("pin_failures", 0)),
        facts=json.loads(fields.get("facts") or "{}"),
        request=json.loads(fields.get("request") or "{}"),
        kind=fields.get("kind", "caller"),
        volunteer=fields.get("volunteer"),
        call_back=fields.get("call_back"),
        answered_at=number("answered_at"),
        counted=fields.get("counted"),
    )
