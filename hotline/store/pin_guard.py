"""The bookkeeping of the PIN defence (the rules are in triage/pins.py).

Before a PIN is checked, a place is reserved in two budgets at once: the target's
(a precinct or a volunteer) and the whole hotline's (lua/pin_check.lua). A reservation
counts as a failure until the PIN turns out right, when it is released. Failures are
also counted against the calling number (lua/count_failure.lua), which is how an
unprotected number comes to be blocked. While a backup code is asked for, the keyed
digest of the PIN the caller entered is held here, never the PIN itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from hotline.store import audit, keys
from hotline.store.calls import WITHHELD
from hotline.store.scripts import Scripts
from hotline.triage import PinDefence

# A tally of checks per clock hour outlives the night, for the after-action review.
CHECKS_TTL_S = 7 * 86400
# How long a PIN's digest is held while the caller keys their backup code.
HELD_PIN_TTL_S = 300


@dataclass(frozen=True)
class Target:
    """What a PIN is checked against: a precinct's PIN or a volunteer's."""

    kind: str  # "precinct" or "volunteer"
    id: str

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def failures_key(self) -> str:
        if self.kind == "volunteer":
            return keys.volunteer_pin_failures(self.id)
        return keys.precinct_pin_failures(self.id)


@dataclass(frozen=True)
class Check:
    """A PIN check asked for: `reserved` when both budgets had room and it may be made."""

    target: Target
    attempt_id: str
    reserved: bool
    # Hotline-wide failures within the alarm window, and whether flood mode is on.
    alarm_failures: int
    flood_on: bool


@dataclass(frozen=True)
class Failure:
    """A failed PIN or backup code, as counted against the calling number."""

    caller_failures: int
    temp_blocks: int
    # Registered to a chair or a volunteer, or allowed by an admin: never blocked for it.
    protected: bool


class PinGuard:
    def __init__(
        self, client: redis.Redis, scripts: Scripts, defence: PinDefence, caller_window_s: float
    ) -> None:
        self._redis = client
        self._scripts = scripts
        self._defence = defence
        self._caller_window_s = caller_window_s

    def reserve(self, target: Target, *, now: float, attempt_id: str) -> Check:
        defence = self._defence
        reserved, alarm_failures, flood = self._scripts.pin_check(
            keys=[
                target.failures_key,
                keys.PIN_FAILURES,
                keys.pin_checks(int(now // 3600)),
                keys.FLOOD,
            ],
            args=[
                repr(now),
                defence.window_s,
                attempt_id,
                defence.per_target,
                defence.hotline_wide,
                target.label,
                CHECKS_TTL_S,
                defence.alarm_window_s,
            ],
        )
        return Check(
            target=target,
            attempt_id=attempt_id,
            reserved=bool(reserved),
            alarm_failures=int(alarm_failures),
            flood_on=bool(flood),
        )

    def release(self, check: Check) -> None:
        """The PIN was right: its reservation is not a failure."""
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(check.target.failures_key, check.attempt_id)
            pipe.zrem(keys.PIN_FAILURES, check.attempt_id)
            pipe.execute()

    def count_failure(
        self, *, now: float, call_sid: str, number: str | None, attempt_id: str
    ) -> Failure:
        caller_failures = keys.caller_pin_failures(number) if number else keys.WITHHELD_PIN_FAILURES
        failures, temp_blocks, protected = self._scripts.count_failure(
            keys=[
                caller_failures,
                keys.caller(number or WITHHELD),
                keys.CHAIR_PHONES,
                keys.VOLUNTEER_PHONES,
                keys.call(call_sid),
                keys.ALLOWED,
            ],
            args=[repr(now), self._caller_window_s, attempt_id, number or ""],
        )
        return Failure(
            caller_failures=int(failures), temp_blocks=int(temp_blocks), protected=bool(protected)
        )

    def hold_pin(self, call_sid: str, digest: str) -> None:
        self._redis.set(keys.held_pin(call_sid), digest, ex=HELD_PIN_TTL_S)

    def take_held_pin(self, call_sid: str) -> str | None:
        """The digest held for `call_sid`, once: taking it forgets it."""
        return self._redis.getdel(keys.held_pin(call_sid))

    def failures(self, *, now: float) -> tuple[int, int]:
        """Hotline-wide failed PIN checks within the alarm window and the budget window."""
        defence = self._defence
        with self._redis.pipeline(transaction=False) as pipe:
            pipe.zcount(keys.PIN_FAILURES, now - defence.alarm_window_s, "+inf")
            pipe.zcount(keys.PIN_FAILURES, now - defence.window_s, "+inf")
            in_alarm_window, in_budget_window = pipe.execute()
        return int(in_alarm_window), int(in_budget_window)

    def record_alarm(self, *, now: float, author: str, reason: str, failures: int) -> bool:
        """The PIN alarm was raised: on the audit trail as "pin-alarm", once within the
        alarm window (False when it is on record already). One round trip, made only by
        the check that raised it.
        """
        fields = audit.audit_fields(now, "pin-alarm", "*", author, reason, failures=failures)
        recorded = self._scripts.pin_alarm(
            keys=[keys.PIN_ALARM, keys.AUDIT],
            args=[
                repr(now),
                self._defence.alarm_window_s,
                audit.AUDIT_MAX_ENTRIES,
                *[part for field in fields.items() for part in field],
            ],
        )
        return bool(recorded)

    def checks(self, hour: int) -> dict[str, int]:
        """PIN checks made in one clock hour (hours since the epoch), by target label."""
        return {
            label: int(count) for label, count in self._redis.hgetall(keys.pin_checks(hour)).items()
        }
