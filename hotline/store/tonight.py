"""Tonight's thresholds in Redis: the values admins changed over config/'s, their versions,
the changes with author and reason, and which policy a version means.

Every change makes a new version, a random token (never a count: a Redis restored from an
older file must not hand out a version a web process already knows with other values).
The inbound script reads the version with the caller's facts, and the values only when
the web process does not hold that version yet (lua/arrive.lua): so a change reaches the
next call in every web process without a round trip of its own. A call's record keeps
the version it was judged by, and the call-end job judges it by the same (policy_at).
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass
from typing import Any

import redis

from hotline.clock import Clock
from hotline.store import audit, keys
from hotline.triage import Policy
from hotline.triage.tonight import SETTINGS, apply

# No overlay: config/'s policy as it is.
NO_VERSION = ""
# Policies a process keeps, by version: the current one, and a few a job may still ask for.
CACHED_VERSIONS = 16
CHANGES_KEPT = 1000


class Conflict(Exception):
    """Tonight's values changed between reading them and writing the change."""


@dataclass(frozen=True)
class Change:
    id: int
    setting: str
    # Tonight's value before and after (None: config/'s value applied).
    before: int | None
    after: int | None
    # The values in force before and after, whichever source they came from.
    old: int
    new: int
    author: str
    reason: str
    at: float
    # The change this one undid, if it was a revert.
    reverts: int | None = None

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> Change:
        return cls(**json.loads(raw))


@dataclass(frozen=True)
class Overlay:
    version: str
    values: dict[str, int]


class Tonight:
    def __init__(self, client: redis.Redis, clock: Clock, base: Policy) -> None:
        self._redis = client
        self._clock = clock
        self._base = base
        self._lock = threading.Lock()
        self._policies: dict[str, Policy] = {NO_VERSION: base}
        self._held = NO_VERSION

    @property
    def base(self) -> Policy:
        return self._base

    @property
    def held_version(self) -> str:
        """The newest version this process has seen (sent to the inbound script)."""
        return self._held

    def resolve(self, version: str, values: dict[str, int] | None) -> Policy:
        """The policy of `version`, from the values the inbound script sent with it (a
        version this process had not seen), else from what it holds.
        """
        if values is not None:
            policy = self._keep(version, apply(self._base, values))
        else:
            policy = self.policy_at(version)
        self._held = version
        return policy

    def policy_at(self, version: str) -> Policy:
        """The policy of any version, held or read from Redis (one round trip, the first
        time only); a version Redis has lost (restored from an older file) is config/'s.
        """
        held = self._policies.get(version)
        if held is not None:
            return held
        raw = self._redis.hget(keys.TONIGHT_VERSIONS, version)
        return self._keep(version, apply(self._base, json.loads(raw)) if raw else self._base)

    def _keep(self, version: str, policy: Policy) -> Policy:
        with self._lock:
            self._policies[version] = policy
            while len(self._policies) > CACHED_VERSIONS:
                oldest = next(v for v in self._policies if v != NO_VERSION)
                del self._policies[oldest]
        return policy

    def overlay(self) -> Overlay:
        version, values = self._redis.hmget(keys.TONIGHT, ["version", "values"])
        return Overlay(version or NO_VERSION, json.loads(values) if values else {})

    def policy(self) -> Policy:
        """The policy in force now: config/'s with tonight's values."""
        overlay = self.overlay()
        return apply(self._base, overlay.values)

    def change(
        self,
        setting: str,
        after: int | None,
        *,
        seen: str,
        author: str,
        reason: str,
        reverts: int | None = None,
    ) -> Change:
        """Set tonight's value of `setting` (None: back to config/'s), audited; `seen` is
        the version the change was checked against: Conflict if it is no longer current.
        """

        def write(pipe: redis.client.Pipeline) -> Change:
            version, raw = pipe.hmget(keys.TONIGHT, ["version", "values"])
            if (version or NO_VERSION) != seen:
                raise Conflict
            values: dict[str, Any] = json.loads(raw) if raw else {}
            before = values.get(setting)
            old = _read(apply(self._base, values), setting)
            if after is None:
                values.pop(setting, None)
            else:
                values[setting] = after
            now = self._clock.now()
            newest = pipe.lindex(keys.TONIGHT_CHANGES, 0)
            change = Change(
                id=Change.from_json(newest).id + 1 if newest else 1,
                setting=setting,
                before=before,
                after=after,
                old=old,
                new=_read(apply(self._base, values), setting),
                author=author,
                reason=reason,
                at=now,
                reverts=reverts,
            )
            encoded = json.dumps(values, sort_keys=True)
            new_version = secrets.token_hex(6)
            pipe.multi()
            pipe.hset(keys.TONIGHT, mapping={"version": new_version, "values": encoded})
            pipe.hset(keys.TONIGHT_VERSIONS, new_version, encoded)
            pipe.lpush(keys.TONIGHT_CHANGES, change.to_json())
            pipe.ltrim(keys.TONIGHT_CHANGES, 0, CHANGES_KEPT - 1)
            audit.record(
                pipe,
                now,
                "threshold-revert" if reverts else "threshold-change",
                setting,
                author,
                reason,
                change=change.id,
                reverts=reverts,
                old=change.old,
                new=change.new,
            )
            return change

        return self._redis.transaction(write, keys.TONIGHT, value_from_callable=True)

    def changes(self, limit: int = 50) -> list[Change]:
        """The newest changes first."""
        return [
            Change.from_json(raw) for raw in self._redis.lrange(keys.TONIGHT_CHANGES, 0, limit - 1)
        ]

    def find(self, change_id: int) -> Change | None:
        for raw in self._redis.lrange(keys.TONIGHT_CHANGES, 0, -1):
            change = Change.from_json(raw)
            if change.id == change_id:
                return change
        return None


def _read(policy: Policy, setting: str) -> int:
    return SETTINGS[setting].read(policy)
